using RobustSeg.Engine;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;

namespace RobustSeg.Adversarial.Tests;

public class SpatialTests
{
    // Crop/pad forward and backward moved to the engine with the ops (Engine.Tests/ShapeOpsTests).

    [Test]
    public void WindowsFollowSemsegGrid()
    {
        var sw = new SlidingWindow(6, 6, 3, ImageNet.Mean255);
        Assert.That(sw.Windows(6, 6), Is.EqualTo(new List<(int, int)> { (0, 0) }));
        // stride ceil(6 * 2/3) = 4: 10 -> tops 0, 4; 11 -> 0, 4, 5 (last flush with the edge).
        Assert.That(sw.Windows(10, 6).Select(t => t.Top), Is.EqualTo(new[] { 0, 4 }));
        Assert.That(sw.Windows(6, 11).Select(t => t.Left), Is.EqualTo(new[] { 0, 4, 5 }));
        Assert.That(sw.Padding(3, 8), Is.EqualTo((1, 0, 6, 8)));
    }

    [Test]
    public void HostResizeMatchesOpenCvHalfPixelRule()
    {
        // 1 channel, 1x2 -> 1x4: positions -0.25 (clamped), 0.25, 0.75, 1.25 (clamped to the edge).
        var r = HostImageOps.ResizeBilinear([0f, 4f], 1, 1, 2, 1, 4);
        Assert.That(r, Is.EqualTo(new[] { 0f, 1f, 3f, 4f }).Within(1e-6));
        Assert.That(HostImageOps.ResizeNearest([1, 2, 3, 4], 2, 2, 4, 4),
            Is.EqualTo(new[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }));
        Assert.That(HostImageOps.LongSideSize(375, 500, 512), Is.EqualTo((384, 512)));
        Assert.That(HostImageOps.FlipW([1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3), Is.EqualTo(new[] { 3f, 2f, 1f, 6f, 5f, 4f }));
    }

    [Test]
    public void SlidingWindowOfPointwiseModelEqualsWholeImageSoftmax()
    {
        // A per-pixel model gives the same probabilities whatever the windows and padding are.
        var m = new ToySegModel(classes: 3);
        using var s = Tensor.Scope();
        var img = Tensor.FromArray(Device.Cpu, TestData.Images(1, 7, 11, 5), 1, 3, 7, 11);
        var sw = new SlidingWindow(9, 6, 3, ImageNet.Mean255);
        var p = sw.Probabilities(m.Forward, img).ToArray();
        var q = F.Softmax(m.Forward(img)).ToArray();
        Assert.That(p, Is.EqualTo(q).Within(1e-5));
    }

    [Test]
    public void AttackGradientThroughSlidingWindowEqualsDirectGradientForPointwiseModel()
    {
        var m = new ToySegModel(classes: 3, seed: 3);
        using var s = Tensor.Scope();
        var img = Tensor.FromArray(Device.Cpu, TestData.Images(1, 7, 11, 8), 1, 3, 7, 11);
        var labels = Tensor.FromArray(Device.Cpu, TestData.SelfLabels(m, img), 1, 7, 11);
        var sw = new SlidingWindow(9, 6, 3, ImageNet.Mean255);
        Tensor Grad(SegForward f)
        {
            var x = img.Detach();
            x.RequiresGrad = true;
            return Autograd.Grad(F.CrossEntropy(f(x), labels), [x])[0];
        }
        var direct = Grad(m.Forward).ToArray();
        var through = Grad(sw.AsModel(m.Forward)).ToArray();
        Assert.That(direct.Select(Math.Abs).Max(), Is.GreaterThan(0));
        Assert.That(through, Is.EqualTo(direct).Within(1e-4));
    }
}
