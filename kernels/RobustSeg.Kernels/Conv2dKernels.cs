using ILGPU;

namespace RobustSeg.Kernels;

/// <summary>Arguments of the im2col / col2im kernels for a group of Images images starting at element
/// XOff of the NCHW tensor X, output rows [Oh0, Oh0 + Rows). Col is laid out (image, C·Kh·Kw, Rows·Wo),
/// row r = (c·Kh + ki)·Kw + kj. Col2im adds to X when Accumulate != 0 (later row blocks).</summary>
public struct Conv2dColArgs
{
    public ArrayView<float> X, Col;
    public long XOff;
    public int Images, C, H, W, Kh, Kw, Stride, Pad, Dil, Ho, Wo, Oh0, Rows, Accumulate;
    public int Total, Chunk;
}

public static class Conv2dKernels
{
    /// <summary>col[img, (c,ki,kj), (oh,ow)] = x[img, c, oh·s - p + ki·d, ow·s - p + kj·d] (0 in the padding).
    /// One index per column element (a chunk of them on the CPU).</summary>
    public static void Im2col(Index1D i, Conv2dColArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.Total ? s + a.Chunk : a.Total;
        int spatial = a.Rows * a.Wo;
        int rows = a.C * a.Kh * a.Kw;
        for (int j = s; j < e; j++)
        {
            int p = j % spatial;
            int r = (j / spatial) % rows;
            int img = j / (spatial * rows);
            int ow = p % a.Wo, oh = a.Oh0 + p / a.Wo;
            int kj = r % a.Kw, ki = (r / a.Kw) % a.Kh, c = r / (a.Kw * a.Kh);
            int ih = oh * a.Stride - a.Pad + ki * a.Dil;
            int iw = ow * a.Stride - a.Pad + kj * a.Dil;
            float v = 0f;
            if (ih >= 0 && ih < a.H && iw >= 0 && iw < a.W)
                v = a.X[a.XOff + ((long)(img * a.C + c) * a.H + ih) * a.W + iw];
            a.Col[j] = v;
        }
    }

    /// <summary>Gather form of col2im (no atomics): each input pixel sums the column entries it fed,
    /// x[img, c, h, w] = Σ_{ki,kj} col[img, (c,ki,kj), (oh,ow)] over the (oh, ow) that read it. Overwrites X.</summary>
    public static void Col2im(Index1D i, Conv2dColArgs a)
    {
        int s = i * a.Chunk, e = s + a.Chunk < a.Total ? s + a.Chunk : a.Total;
        int spatial = a.Rows * a.Wo;
        int rows = a.C * a.Kh * a.Kw;
        for (int j = s; j < e; j++)
        {
            int w = j % a.W;
            int h = (j / a.W) % a.H;
            int c = (j / (a.W * a.H)) % a.C;
            int img = j / (a.W * a.H * a.C);
            long colBase = (long)img * rows * spatial;
            float acc = 0f;
            for (int ki = 0; ki < a.Kh; ki++)
            {
                int th = h + a.Pad - ki * a.Dil;
                if (th < 0 || th % a.Stride != 0) continue;
                int oh = th / a.Stride - a.Oh0;
                if (oh < 0 || oh >= a.Rows) continue;
                for (int kj = 0; kj < a.Kw; kj++)
                {
                    int tw = w + a.Pad - kj * a.Dil;
                    if (tw < 0 || tw % a.Stride != 0) continue;
                    int ow = tw / a.Stride;
                    if (ow >= a.Wo) continue;
                    int r = (c * a.Kh + ki) * a.Kw + kj;
                    acc += a.Col[colBase + (long)r * spatial + oh * a.Wo + ow];
                }
            }
            if (a.Accumulate != 0) acc += a.X[a.XOff + j];
            a.X[a.XOff + j] = acc;
        }
    }
}
