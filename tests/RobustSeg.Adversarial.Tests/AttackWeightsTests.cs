using RobustSeg.Adversarial.Attacks;

namespace RobustSeg.Adversarial.Tests;

public class AttackWeightsTests
{
    static readonly Device Cpu = Device.Cpu;

    // (1, 3 classes, 1, 4 pixels) logits; argmax per pixel = [0, 1, 2, 0].
    static readonly float[] Logits = [
        2f, 0f, 0f, 1f,
        0f, 3f, 1f, 0f,
        0f, 1f, 2f, 0.5f];
    static readonly int[] Labels = [0, 2, 2, 255];

    [TestCase(1, 4, 0.0)]
    [TestCase(3, 4, 0.25)]
    [TestCase(5, 5, 0.4)]
    public void SegPgdWeightsFollowLambdaSchedule(int t, int steps, double lambda)
    {
        using var s = Tensor.Scope();
        Assert.That(SegPgdLoss.Lambda(t, steps), Is.EqualTo(lambda).Within(1e-7));
        var logits = Tensor.FromArray(Cpu, Logits, 1, 3, 1, 4);
        var labels = Tensor.FromArray(Cpu, Labels, 1, 1, 4);
        var w = SegPgdLoss.Weights(logits, labels, t, steps).ToArray();
        // correct: pixels 0 and 2 -> 1 - lambda; wrong: pixel 1 -> lambda; ignored pixel 3 -> lambda (its CE is 0).
        Assert.That(w[0], Is.EqualTo(1 - lambda).Within(1e-6));
        Assert.That(w[1], Is.EqualTo(lambda).Within(1e-6));
        Assert.That(w[2], Is.EqualTo(1 - lambda).Within(1e-6));
        Assert.That(w[3], Is.EqualTo(lambda).Within(1e-6));
    }

    [Test]
    public void CosPgdWeightsAreCosineOfSoftmaxAndOneHot()
    {
        using var s = Tensor.Scope();
        var logits = Tensor.FromArray(Cpu, Logits, 1, 3, 1, 4);
        var labels = Tensor.FromArray(Cpu, Labels, 1, 1, 4);
        using var target = new AttackTarget(labels, 255);
        var w = CosPgdLoss.Weights(logits, target.OneHot(3)).ToArray();
        for (int p = 0; p < 4; p++)
        {
            double[] z = [Logits[p], Logits[4 + p], Logits[8 + p]];
            double m = z.Max();
            var e = z.Select(v => Math.Exp(v - m)).ToArray();
            var sum = e.Sum();
            var prob = e.Select(v => v / sum).ToArray();
            double norm = Math.Sqrt(prob.Sum(v => v * v));
            double expected = Labels[p] == 255 ? 0 : prob[Labels[p]] / norm;
            Assert.That(w[p], Is.EqualTo(expected).Within(1e-5), $"pixel {p}");
        }
        // Hand value for pixel 1 (label 2, logits [0,3,1]): p = e^[0,3,1]/S; cos = e^1 / sqrt(1 + e^6 + e^2).
        Assert.That(w[1], Is.EqualTo(Math.E / Math.Sqrt(1 + Math.Exp(6) + Math.Exp(2))).Within(1e-5));
    }

    [Test]
    public void OneHotIsZeroAtIgnoredPixels()
    {
        using var s = Tensor.Scope();
        var labels = Tensor.FromArray(Cpu, Labels, 1, 1, 4);
        using var target = new AttackTarget(labels, 255);
        var oh = target.OneHot(3).ToArray();
        Assert.That(oh, Is.EqualTo(new float[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0 }));
        Assert.That(target.ValidTotal, Is.EqualTo(3));
    }

    [Test]
    public void AccuracyPerImageIgnoresIgnoredPixels()
    {
        using var s = Tensor.Scope();
        var logits = Tensor.FromArray(Cpu, Logits, 1, 3, 1, 4);
        var labels = Tensor.FromArray(Cpu, Labels, 1, 1, 4);
        using var target = new AttackTarget(labels, 255);
        Assert.That(target.Accuracy(logits)[0], Is.EqualTo(2 / 3.0).Within(1e-12));
    }
}
