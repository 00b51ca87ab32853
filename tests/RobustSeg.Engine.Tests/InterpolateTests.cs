using RobustSeg.Engine.IO;
using RobustSeg.Engine.Reference;

namespace RobustSeg.Engine.Tests;

/// <summary>Bilinear interpolation (align_corners=True): PyTorch values, host path vs kernels, edge sizes.</summary>
public class InterpolateTests
{
    static readonly string[] TorchCases =
    [
        "interp_up_7x5_to_33x17", "interp_down_57_to_29", "interp_odd_5x7_to_9x4", "interp_in_1x1",
        "interp_out_1x1", "interp_psp_like_9_to_65",
    ];

    public static IEnumerable<TestCaseData> TorchData() =>
        from c in TorchCases from d in TestDevices.Names select new TestCaseData(c, d).SetName($"interpolate matches torch {c} on {d}");

    internal static Dictionary<string, NpyArray> Load(string name) =>
        Npy.ReadNpz(Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "torch", name + ".npz"));

    /// <summary>max |got - want| / max |want|, the test suite's one relative error: a NaN counts as infinite, since NUnit's
    /// Is.LessThan passes a NaN (an output left unwritten shows as NaN where the caller fills it so).</summary>
    internal static double Rel(float[] got, IReadOnlyList<double> want)
    {
        Assert.That(got.Length, Is.EqualTo(want.Count));
        double d = 0, m = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double e = Math.Abs(got[i] - want[i]);
            d = Math.Max(d, double.IsNaN(e) ? double.PositiveInfinity : e);
            m = Math.Max(m, Math.Abs(want[i]));
        }
        return d / Math.Max(m, 1e-12);
    }

    internal static double Rel(float[] got, float[] want) => Rel(got, want.Select(v => (double)v).ToArray());

    [TestCaseSource(nameof(TorchData))]
    public void MatchesTorch(string name, string device)
    {
        var d = Load(name);
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(dev, d["x"].ToFloat(), d["x"].Shape);
        x.RequiresGrad = true;
        var outSize = d["out"].ToInt();
        var y = F.InterpolateBilinear(x, outSize[0], outSize[1]);
        Assert.That(y.Shape, Is.EqualTo(d["y"].Shape));
        Assert.That(Rel(y.ToArray(), d["y"].Data), Is.LessThanOrEqualTo(1e-5), "forward");
        var dy = Tensor.FromArray(dev, d["dy"].ToFloat(), d["dy"].Shape);
        var dx = Autograd.Grad(y, [x], dy)[0];
        Assert.That(Rel(dx.ToArray(), d["dx"].Data), Is.LessThanOrEqualTo(1e-5), "backward");
    }

    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    static (float[] Y, float[] Dx) Run(string device, int[] shape, int oh, int ow)
    {
        var dev = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(dev, Random((int)Tensor.ShapeNumel(shape), 1), shape);
        x.RequiresGrad = true;
        var y = F.InterpolateBilinear(x, oh, ow);
        var dy = Tensor.FromArray(dev, Random((int)y.Numel, 2), y.Shape);
        return (y.ToArray(), Autograd.Grad(y, [x], dy)[0].ToArray());
    }

    [TestCase(2, 3, 29, 29, 113, 113)]
    [TestCase(1, 2, 57, 43, 29, 30)]
    [TestCase(1, 1, 3, 40, 70, 7)]
    [TestCase(3, 1, 1, 1, 9, 1)]
    [TestCase(1, 1, 2, 500, 700, 3)]
    [TestCase(1, 2, 300, 1, 4, 257)]
    public void HostPathMatchesKernels(int n, int c, int h, int w, int oh, int ow)
    {
        var host = Run("cpu", [n, c, h, w], oh, ow);
        var kern = Run("ilgpu-cpu", [n, c, h, w], oh, ow);
        // Same sampling tables and association in the forward; the backward sums in another order.
        Assert.That(Rel(host.Y, kern.Y), Is.LessThanOrEqualTo(1e-6), "forward");
        Assert.That(Rel(host.Dx, kern.Dx), Is.LessThanOrEqualTo(1e-5), "backward");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void MatchesDoubleReferenceOnALargerUpsample(string device)
    {
        int n = 2, c = 3, h = 15, w = 11, oh = 97, ow = 81;
        var xs = Random(n * c * h * w, 1); // the inputs Run makes
        var (y, _) = Run(device, [n, c, h, w], oh, ow);
        var want = InterpolateReference.Bilinear(xs.Select(v => (double)v).ToArray(), n * c, h, w, oh, ow);
        Assert.That(Rel(y, want), Is.LessThanOrEqualTo(1e-5));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void BackwardIsDeterministic(string device)
    {
        var a = Run(device, [2, 2, 9, 9], 65, 65).Dx;
        var b = Run(device, [2, 2, 9, 9], 65, 65).Dx;
        Assert.That(a, Is.EqualTo(b));
    }

    [Test]
    public void SameSizeIsIdentity()
    {
        using var s = Tensor.Scope();
        var xs = Random(2 * 3 * 5 * 4, 4);
        var y = F.InterpolateBilinear(Tensor.FromArray(Device.Cpu, xs, 2, 3, 5, 4), 5, 4);
        Assert.That(y.ToArray(), Is.EqualTo(xs));
    }

    [Test]
    public void RejectsBadShapes()
    {
        using var s = Tensor.Scope();
        var x3 = Tensor.Zeros(Device.Cpu, 2, 3, 4);
        Assert.That(() => F.InterpolateBilinear(x3, 5, 5), Throws.ArgumentException.With.Message.Contains("(N, C, H, W)"));
        var x = Tensor.Zeros(Device.Cpu, 1, 1, 4, 4);
        Assert.That(() => F.InterpolateBilinear(x, 0, 5), Throws.ArgumentException.With.Message.Contains("0x5"));
    }
}
