namespace RobustSeg.Engine.Reference;

/// <summary>Double-precision batch norm references (plain loops) for the gradient checks and tests.</summary>
public static class BatchNormReference
{
    /// <summary>Per-channel mean and biased variance of x (N, C, S).</summary>
    public static (double[] Mean, double[] Var) Stats(double[] x, int n, int c, int s)
    {
        var mean = new double[c];
        var var = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int b = 0; b < n; b++) for (int q = 0; q < s; q++) sum += x[(b * c + ch) * s + q];
            double m = sum / ((double)n * s);
            double v = 0;
            for (int b = 0; b < n; b++) for (int q = 0; q < s; q++) { double d = x[(b * c + ch) * s + q] - m; v += d * d; }
            mean[ch] = m;
            var[ch] = v / ((double)n * s);
        }
        return (mean, var);
    }

    /// <summary>y = (x - mean) / sqrt(var + eps) * w + b with batch stats (training) or the given running stats.</summary>
    public static double[] Forward(double[] x, double[]? w, double[]? b, double[] runningMean, double[] runningVar,
        bool training, int n, int c, int s, double eps = 1e-5)
    {
        var (mean, var) = training ? Stats(x, n, c, s) : (runningMean, runningVar);
        var y = new double[x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            int ch = j / s % c;
            y[j] = (x[j] - mean[ch]) / Math.Sqrt(var[ch] + eps) * (w?[ch] ?? 1.0) + (b?[ch] ?? 0.0);
        }
        return y;
    }

    /// <summary>Running stats after one training step: (1-m)*r + m*batch, the variance unbiased (n/(n-1)).</summary>
    public static (double[] Mean, double[] Var) UpdatedRunning(double[] x, double[] runningMean, double[] runningVar,
        int n, int c, int s, double momentum = 0.1)
    {
        var (mean, var) = Stats(x, n, c, s);
        double cnt = (double)n * s;
        var rm = new double[c];
        var rv = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            rm[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch];
            rv[ch] = (1 - momentum) * runningVar[ch] + momentum * var[ch] * cnt / (cnt - 1);
        }
        return (rm, rv);
    }
}
