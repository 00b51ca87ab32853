namespace RobustSeg.Engine.Reference;

/// <summary>Double-precision softmax, log-softmax and cross-entropy over dim 1 of (N, C, S).</summary>
public static class LossReference
{
    static (double Max, double LogSum) Lse(double[] x, int b, int c, int s)
    {
        double m = double.NegativeInfinity;
        for (int k = 0; k < c; k++) m = Math.Max(m, x[b + k * s]);
        double sum = 0;
        for (int k = 0; k < c; k++) sum += Math.Exp(x[b + k * s] - m);
        return (m, Math.Log(sum));
    }

    public static double[] Softmax(double[] x, int n, int c, int s, bool log)
    {
        var y = new double[x.Length];
        for (int i = 0; i < n; i++)
        for (int q = 0; q < s; q++)
        {
            int b = i * c * s + q;
            var (m, ls) = Lse(x, b, c, s);
            for (int k = 0; k < c; k++)
            {
                double v = x[b + k * s] - m - ls;
                y[b + k * s] = log ? v : Math.Exp(v);
            }
        }
        return y;
    }

    /// <summary>Per-pixel loss (N*S), 0 at ignored pixels.</summary>
    public static double[] CrossEntropyPerPixel(double[] x, int[] labels, int n, int c, int s, int ignore)
    {
        var y = new double[n * s];
        for (int i = 0; i < n; i++)
        for (int q = 0; q < s; q++)
        {
            int l = labels[i * s + q];
            if (l == ignore) continue;
            int b = i * c * s + q;
            var (m, ls) = Lse(x, b, c, s);
            y[i * s + q] = m + ls - x[b + l * s];
        }
        return y;
    }

    /// <summary>Mean over counted pixels; 0 when every pixel is ignored (our convention; PyTorch: NaN).</summary>
    public static double CrossEntropy(double[] x, int[] labels, int n, int c, int s, int ignore)
    {
        var per = CrossEntropyPerPixel(x, labels, n, c, s, ignore);
        int count = labels.Count(l => l != ignore);
        return count == 0 ? 0 : per.Sum() / count;
    }
}
