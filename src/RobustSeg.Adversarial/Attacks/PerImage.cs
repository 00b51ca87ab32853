using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>Per-image selection and scaling on (N, ...) tensors, done by viewing them as (N, rest) so the
/// engine's broadcast Where and per-channel multiply act per image.</summary>
public static class PerImage
{
    /// <summary>take[n] ? a[n] : b[n], as a new tensor shaped like a.</summary>
    public static Tensor Select(bool[] take, Tensor a, Tensor b)
    {
        if (take.Length != a.Size(0)) throw new ArgumentException($"per-image select: {take.Length} flags for {a.Size(0)} images");
        using var m = Mask(take, a.Device);
        return Select(m, a, b);
    }

    /// <summary>The flags as an int32 (N) device mask (one upload, reusable for several selects).</summary>
    public static Tensor Mask(bool[] take, Device device) => Tensor.FromArray(device, take.Select(t => t ? 1 : 0).ToArray(), take.Length);

    /// <summary>mask[n] != 0 ? a[n] : b[n] with an int32 (N) device mask.</summary>
    public static Tensor Select(Tensor mask, Tensor a, Tensor b)
    {
        int n = a.Size(0);
        if (mask.Numel != n) throw new ArgumentException($"per-image select: {mask.Numel} flags for {n} images");
        using var _ = Autograd.NoGrad();
        int rest = (int)(a.Numel / n);
        using var m = mask.ViewAs(n);
        using var av = a.ViewAs(n, rest);
        using var bv = b.ViewAs(n, rest);
        using var y = F.Where(m, av, bv);
        return y.ViewAs(a.Shape);
    }

    /// <summary>x[n] * s[n].</summary>
    public static Tensor Scale(Tensor x, float[] s)
    {
        using var v = Tensor.FromArray(x.Device, s, x.Size(0));
        return Scale(x, v);
    }

    /// <summary>x[n] * s[n] with the factors on the device (N).</summary>
    public static Tensor Scale(Tensor x, Tensor s)
    {
        int n = x.Size(0);
        if (s.Numel != n) throw new ArgumentException($"per-image scale: {s.Numel} factors for {n} images");
        using var _ = Autograd.NoGrad();
        using var sv = s.ViewAs(n);
        using var xv = x.ViewAs(1, n, (int)(x.Numel / n));
        using var y = F.MulChannel(xv, sv);
        return y.ViewAs(x.Shape);
    }

    /// <summary>Per-image sums of an (N, ...) tensor: reduced on the device, N values copied back.</summary>
    public static double[] Sums(Tensor x)
    {
        using var s = SumsOnDevice(x);
        return s.ToArray().Select(f => (double)f).ToArray();
    }

    /// <summary>Per-image sums of an (N, ...) tensor as an (N) device tensor (no tape).</summary>
    public static Tensor SumsOnDevice(Tensor x)
    {
        using var _ = Autograd.NoGrad();
        int n = x.Size(0);
        using var v = x.ViewAs(n, (int)(x.Numel / n));
        return F.Sum(v, [1]);
    }
}
