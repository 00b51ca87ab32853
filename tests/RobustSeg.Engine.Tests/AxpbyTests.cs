using RobustSeg.Engine;

namespace RobustSeg.Engine.Tests;

/// <summary>The backends' output = a x + b y (SGD's updates, gradient accumulation): the host's vector lanes and tail and
/// the kernel round a x, b y and the sum each, so both give the scalar formula's bits.</summary>
public class AxpbyTests
{
    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void GivesTheScalarFormulasBits(string device)
    {
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var rng = new Random(5);
        int n = (1 << 16) + 13;   // past the host's parallel threshold, with a tail
        var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        float a = 0.9f, b = -1e-3f;
        var o = Tensor.Empty(d, n);
        F.AxpbyInto(a, Tensor.FromArray(d, x, n), b, Tensor.FromArray(d, y, n), o);
        var got = o.ToArray();
        for (int i = 0; i < n; i++)
        {
            float ax = a * x[i], by = b * y[i];
            Assert.That(BitConverter.SingleToInt32Bits(got[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(ax + by)), $"element {i}");
        }
    }
}
