namespace RobustSeg.Nn.Tests;

/// <summary>SyncBatchNorm composed of engine ops (the data-parallel sync_bn path): with a sync that sums over one
/// process it must be training batch norm (the fused kernels) to float rounding: output, gradients of input,
/// weight and bias, running statistics. With a sync that doubles (two identical ranks) the statistics are those
/// of the batch stacked twice: same mean and biased variance, so the same output, but an unbiased running variance
/// with M = 2 x N x H x W.</summary>
public class SyncBatchNormTests
{
    sealed class Ranks(int n) : IBatchNormSync
    {
        public int Calls;
        public void SumInPlace(Tensor t)
        {
            Calls++;
            if (n == 1) return;
            using var s = Tensor.Scope();
            t.CopyFrom(F.MulScalar(t, n));
        }
    }

    static (float[] Y, float[] Dx, float[] Dw, float[] Db, float[] Rm, float[] Rv) Run(IBatchNormSync? sync)
    {
        var dev = Device.Cpu;
        using var scope = Tensor.Scope();
        using var bn = new BatchNorm2d(dev, 3) { Sync = sync };
        using (Tensor.NoScope()) { bn.Weight.CopyFrom([1.5f, 0.5f, -1f]); bn.Bias.CopyFrom([0.1f, -0.2f, 0.3f]); }
        bn.Weight.RequiresGrad = true; bn.Bias.RequiresGrad = true;
        int n = 4, c = 3, h = 5, w = 6;
        var x = Tensor.FromArray(dev, Enumerable.Range(0, n * c * h * w).Select(i => MathF.Sin(i * 0.37f) * 2 + (i % 7) * 0.3f).ToArray(), n, c, h, w);
        x.RequiresGrad = true;
        var y = bn.Forward(x);
        var dy = Tensor.FromArray(dev, Enumerable.Range(0, n * c * h * w).Select(i => MathF.Cos(i * 0.11f)).ToArray(), n, c, h, w);
        var g = Autograd.Grad(y, [x, bn.Weight, bn.Bias], dy);
        return (y.ToArray(), g[0].ToArray(), g[1].ToArray(), g[2].ToArray(), bn.RunningMean.ToArray(), bn.RunningVar.ToArray());
    }

    static void Close(float[] a, float[] b, float tol, string what)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length));
        for (int i = 0; i < a.Length; i++) Assert.That(a[i], Is.EqualTo(b[i]).Within(tol * (1 + Math.Abs(b[i]))), $"{what}[{i}]");
    }

    [Test]
    public void OneRankIsTrainingBatchNorm()
    {
        var fused = Run(null);
        var one = new Ranks(1);
        var sync = Run(one);
        Assert.That(one.Calls, Is.EqualTo(2), "one sum forward (statistics and count), one backward");
        Close(sync.Y, fused.Y, 2e-5f, "y");
        Close(sync.Dx, fused.Dx, 2e-5f, "dx");
        Close(sync.Dw, fused.Dw, 2e-5f, "dweight");
        Close(sync.Db, fused.Db, 2e-5f, "dbias");
        Close(sync.Rm, fused.Rm, 1e-6f, "running_mean");
        Close(sync.Rv, fused.Rv, 1e-5f, "running_var");
    }

    [Test]
    public void TwoIdenticalRanksUseTheGlobalCount()
    {
        var fused = Run(null);
        var two = Run(new Ranks(2));
        Close(two.Y, fused.Y, 2e-5f, "y");
        Close(two.Rm, fused.Rm, 1e-6f, "running_mean");
        // running_var = 0.9 + 0.1 * var * M/(M-1): with M = 120 per process and 240 over both ranks.
        for (int ch = 0; ch < 3; ch++)
        {
            double biased = (fused.Rv[ch] - 0.9) / 0.1 * 119 / 120;
            Assert.That(two.Rv[ch], Is.EqualTo(0.9 + 0.1 * biased * 240 / 239).Within(1e-5), $"running_var[{ch}]");
        }
        // The backward's two per-channel sums are summed over both ranks (each rank's loss counts): the input
        // gradient of one rank equals the fused one of its own batch (the other rank contributes the same sums
        // over twice the count), and the parameter gradients of one rank are its own batch's.
        Close(two.Dx, fused.Dx, 2e-5f, "dx");
    }
}
