namespace RobustSeg.Engine.Reference;

/// <summary>Double-precision pooling references (plain loops over PyTorch's definitions).</summary>
public static class PoolReference
{
    /// <summary>Max pooling of (planes, H, W), -inf padding, floor mode.</summary>
    public static double[] MaxPool2d(double[] x, int planes, int h, int w, int k, int stride, int pad)
    {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double best = double.NegativeInfinity;
            for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++)
            {
                int hh = i * stride - pad + u, ww = j * stride - pad + v;
                if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
                best = Math.Max(best, x[(p * h + hh) * w + ww]);
            }
            y[(p * oh + i) * ow + j] = best;
        }
        return y;
    }

    /// <summary>Adaptive average pooling of (planes, H, W) to (OH, OW) with bins [floor(i*H/OH), ceil((i+1)*H/OH)).</summary>
    public static double[] AdaptiveAvgPool2d(double[] x, int planes, int h, int w, int oh, int ow)
    {
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            int h0 = (int)Math.Floor((double)i * h / oh), h1 = (int)Math.Ceiling((double)(i + 1) * h / oh);
            int w0 = (int)Math.Floor((double)j * w / ow), w1 = (int)Math.Ceiling((double)(j + 1) * w / ow);
            double sum = 0;
            for (int a = h0; a < h1; a++) for (int b = w0; b < w1; b++) sum += x[(p * h + a) * w + b];
            y[(p * oh + i) * ow + j] = sum / ((h1 - h0) * (w1 - w0));
        }
        return y;
    }
}
