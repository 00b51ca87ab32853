using RobustSeg.Adversarial.Attacks;

namespace RobustSeg.Adversarial.Tests;

/// <summary>A fixed per-pixel two-layer network (1x1 conv, relu, 1x1 conv) built from engine ops that
/// exist independently of the vision ops: batched MatMul over (N, C, H*W). Weights come from a seed.</summary>
public sealed class ToySegModel
{
    public int Hidden { get; }
    public int Classes { get; }
    readonly float[] _w1, _b1, _w2, _b2;

    public ToySegModel(int classes = 4, int hidden = 8, int seed = 1)
    {
        Classes = classes; Hidden = hidden;
        var rng = new Random(seed);
        float R(double s) => (float)((rng.NextDouble() * 2 - 1) * s);
        _w1 = Enumerable.Range(0, hidden * 3).Select(_ => R(4)).ToArray();
        _b1 = Enumerable.Range(0, hidden).Select(_ => R(1)).ToArray();
        _w2 = Enumerable.Range(0, classes * hidden).Select(_ => R(2)).ToArray();
        _b2 = Enumerable.Range(0, classes).Select(_ => R(0.5)).ToArray();
    }

    /// <summary>Given weights: w1 (hidden, 3), b1 (hidden), w2 (classes, hidden), b2 (classes), row-major.</summary>
    public ToySegModel(float[] w1, float[] b1, float[] w2, float[] b2)
    {
        Hidden = b1.Length; Classes = b2.Length;
        _w1 = w1; _b1 = b1; _w2 = w2; _b2 = b2;
    }

    static float[] Repeat(float[] a, int n) { var r = new float[a.Length * n]; for (int i = 0; i < n; i++) a.CopyTo(r, i * a.Length); return r; }

    public Tensor Forward(Tensor x)
    {
        int n = x.Size(0), h = x.Size(2), w = x.Size(3);
        var dev = x.Device;
        var w1 = Tensor.FromArray(dev, Repeat(_w1, n), n, Hidden, 3);
        var w2 = Tensor.FromArray(dev, Repeat(_w2, n), n, Classes, Hidden);
        var b1 = Tensor.FromArray(dev, _b1, Hidden);
        var b2 = Tensor.FromArray(dev, _b2, Classes);
        var hid = F.MatMul(w1, F.Reshape(x, n, 3, h * w));
        hid = F.Relu(F.AddChannel(F.Reshape(hid, n, Hidden, h, w), b1));
        var o = F.MatMul(w2, F.Reshape(hid, n, Hidden, h * w));
        return F.AddChannel(F.Reshape(o, n, Classes, h, w), b2);
    }

    public SegForward AsForward() => Forward;

    /// <summary>Reference logits in double for one pixel.</summary>
    public double[] PixelLogits(double r, double g, double b)
    {
        var hid = new double[Hidden];
        for (int j = 0; j < Hidden; j++) hid[j] = Math.Max(0, _w1[j * 3] * r + _w1[j * 3 + 1] * g + _w1[j * 3 + 2] * b + _b1[j]);
        var o = new double[Classes];
        for (int k = 0; k < Classes; k++) { double s = _b2[k]; for (int j = 0; j < Hidden; j++) s += _w2[k * Hidden + j] * hid[j]; o[k] = s; }
        return o;
    }
}

public static class TestData
{
    /// <summary>Images in [0,1] with some values at the bounds, so clipping to [0,1] matters.</summary>
    public static float[] Images(int n, int h, int w, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n * 3 * h * w];
        for (int i = 0; i < a.Length; i++)
        {
            double u = rng.NextDouble();
            a[i] = u < 0.1 ? 0f : u > 0.9 ? 1f : (float)rng.NextDouble();
        }
        return a;
    }

    /// <summary>The model's own clean prediction as labels (100% clean accuracy), with every
    /// <paramref name="ignoreEvery"/>-th pixel set to 255.</summary>
    public static int[] SelfLabels(ToySegModel m, Tensor images, int ignoreEvery = 7)
    {
        using var _ = Autograd.NoGrad();
        using var s = Tensor.Scope();
        var p = F.Argmax(m.Forward(images)).ToIntArray();
        for (int i = 0; i < p.Length; i += ignoreEvery) p[i] = 255;
        return p;
    }
}
