namespace RobustSeg.Engine.Reference;

/// <summary>Plain double-precision references of the elementwise, reduction and matmul ops, kept
/// beside the kernels (llm.c habit) and used by the gradient checks and the tests.</summary>
public static class ElementwiseReference
{
    public static double[] Map(double[] x, Func<double, double> f) => x.Select(f).ToArray();
    public static double[] Zip(double[] a, double[] b, Func<double, double, double> f) => a.Select((v, i) => f(v, b[i])).ToArray();

    /// <summary>x (N, C, S) op v[c].</summary>
    public static double[] Channel(double[] x, double[] v, int c, int s, Func<double, double, double> f) =>
        x.Select((xv, i) => f(xv, v[i / s % c])).ToArray();

    /// <summary>Sum over axes of a row-major array.</summary>
    public static double[] SumAxes(double[] x, int[] shape, int[] axes)
    {
        var outShape = shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray();
        var y = new double[Tensor.ShapeNumel(outShape)];
        var idx = new int[shape.Length];
        for (long j = 0; j < x.Length; j++)
        {
            long rem = j;
            for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = (int)(rem % shape[d]); rem /= shape[d]; }
            long o = 0;
            for (int d = 0; d < shape.Length; d++) o = o * outShape[d] + (axes.Contains(d) ? 0 : idx[d]);
            y[o] += x[j];
        }
        return y;
    }

    /// <summary>op(a) op(b), batched row-major.</summary>
    public static double[] MatMul(double[] a, double[] b, int batch, int m, int n, int k, bool ta, bool tb)
    {
        var y = new double[batch * m * n];
        for (int q = 0; q < batch; q++)
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++)
            {
                double av = ta ? a[q * m * k + p * m + i] : a[q * m * k + i * k + p];
                double bv = tb ? b[q * k * n + j * k + p] : b[q * k * n + p * n + j];
                s += av * bv;
            }
            y[q * m * n + i * n + j] = s;
        }
        return y;
    }

    /// <summary>Max over channels of (N, C, S): values (N, S).</summary>
    public static double[] MaxChannels(double[] x, int n, int c, int s)
    {
        var y = new double[n * s];
        for (int b = 0; b < n; b++)
        for (int q = 0; q < s; q++)
        {
            double best = double.NegativeInfinity;
            for (int ch = 0; ch < c; ch++) best = Math.Max(best, x[(b * c + ch) * s + q]);
            y[b * s + q] = best;
        }
        return y;
    }

    /// <summary>Channels [start, start+count) of (N, C, S).</summary>
    public static double[] Slice(double[] x, int n, int c, int s, int start, int count)
    {
        var y = new double[n * count * s];
        for (int b = 0; b < n; b++)
        for (int ch = 0; ch < count; ch++)
            Array.Copy(x, (b * c + start + ch) * s, y, (b * count + ch) * s, s);
        return y;
    }
}
