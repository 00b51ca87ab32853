namespace RobustSeg.Engine.Reference;

/// <summary>Double-precision 2-D convolution by plain loops (NCHW, (K,C,kh,kw) weight, optional bias).</summary>
public static class ConvReference
{
    public static double[] Conv2d(double[] x, double[] w, double[]? b, int n, int c, int h, int wd,
        int k, int kh, int kw, int stride, int pad, int dil)
    {
        int ho = (h + 2 * pad - dil * (kh - 1) - 1) / stride + 1;
        int wo = (wd + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
        var y = new double[n * k * ho * wo];
        for (int img = 0; img < n; img++)
        for (int o = 0; o < k; o++)
        for (int oh = 0; oh < ho; oh++)
        for (int ow = 0; ow < wo; ow++)
        {
            double s = b is null ? 0 : b[o];
            for (int ci = 0; ci < c; ci++)
            for (int i = 0; i < kh; i++)
            {
                int ih = oh * stride - pad + i * dil;
                if (ih < 0 || ih >= h) continue;
                for (int j = 0; j < kw; j++)
                {
                    int iw = ow * stride - pad + j * dil;
                    if (iw < 0 || iw >= wd) continue;
                    s += x[((img * c + ci) * h + ih) * wd + iw] * w[((o * c + ci) * kh + i) * kw + j];
                }
            }
            y[((img * k + o) * ho + oh) * wo + ow] = s;
        }
        return y;
    }
}
