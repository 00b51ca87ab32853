using RobustSeg.Engine;
using RobustSeg.Adversarial.Attacks;

namespace RobustSeg.Adversarial.Tests;

public class LinfBallTests
{
    [TestCase("cpu")]
    [TestCase("ilgpu-cpu")]
    public void ProjectionClipsToBallAndUnitBox(string device)
    {
        var dev = Device.Get(device);
        using var s = Tensor.Scope();
        float[] clean = [0f, 0.01f, 0.5f, 0.99f, 1f, 0.3f];
        float[] x = [-0.5f, 0.2f, 0.45f, 1.5f, 0.9f, 0.3f];
        var x0 = Tensor.FromArray(dev, clean, 1, 1, 2, 3);
        using var ball = new LinfBall(x0, 0.03f);
        var p = ball.Project(Tensor.FromArray(dev, x, 1, 1, 2, 3)).ToArray();
        float[] expected = [0f, 0.04f, 0.47f, 1f, 0.97f, 0.3f];
        Assert.That(p, Is.EqualTo(expected).Within(1e-6));
    }

    [TestCase("cpu")]
    [TestCase("ilgpu-cpu")]
    public void SignStepAndRandomStartStayInside(string device)
    {
        var dev = Device.Get(device);
        using var s = Tensor.Scope();
        var clean = TestData.Images(2, 5, 6, 3);
        var x0 = Tensor.FromArray(dev, clean, 2, 3, 5, 6);
        using var ball = new LinfBall(x0, 4f / 255);
        var g = F.RandUniform(dev, 5, -1, 1, 2, 3, 5, 6);
        var x = ball.RandomStart(x0, 11);
        for (int i = 0; i < 5; i++) x = ball.SignStep(x, g, 3f / 255);
        var a = x.ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            Assert.That(a[i], Is.InRange(0f, 1f));
            Assert.That(Math.Abs(a[i] - clean[i]), Is.LessThanOrEqualTo(4f / 255 + 1e-6));
        }
        // The same seed gives the same start on every device.
        var r1 = ball.RandomStart(x0, 11).ToArray();
        var r2 = new LinfBall(Tensor.FromArray(Device.Cpu, clean, 2, 3, 5, 6), 4f / 255).RandomStart(Tensor.FromArray(Device.Cpu, clean, 2, 3, 5, 6), 11).ToArray();
        Assert.That(r1, Is.EqualTo(r2).Within(1e-7));
    }

    [TestCase("4/255", 4f / 255)]
    [TestCase("0.03", 0.03f)]
    [TestCase("8", 8f / 255)]
    [TestCase("1", 1f)]
    public void MagnitudesParseInBothUnits(string text, float expected) =>
        Assert.That(AttackOptions.ParseMagnitude(text), Is.EqualTo(expected).Within(1e-7));

    [Test]
    public void BadMagnitudeNamesTheOption()
    {
        var e = Assert.Throws<UserInputException>(() => AttackOptions.ParseMagnitude("abc", "--eps"));
        Assert.That(e!.Message, Does.StartWith("--eps"));
    }

    [Test]
    public void PerImageSelectAndScale()
    {
        using var s = Tensor.Scope();
        var a = Tensor.FromArray(Device.Cpu, [1f, 2f, 3f, 4f, 5f, 6f], 3, 2);
        var b = Tensor.FromArray(Device.Cpu, [-1f, -2f, -3f, -4f, -5f, -6f], 3, 2);
        Assert.That(PerImage.Select([true, false, true], a, b).ToArray(), Is.EqualTo(new float[] { 1, 2, -3, -4, 5, 6 }));
        Assert.That(PerImage.Scale(a, [2f, 0f, -1f]).ToArray(), Is.EqualTo(new float[] { 2, 4, 0, 0, -5, -6 }));
    }
}
