using ILGPU;

namespace RobustSeg.Kernels;

// Pooling over planes (N*C of them) of H x W. Backward passes are gathers: each input pixel visits
// the output windows that cover it, in ascending (oh, ow) order (PyTorch's accumulation order),
// so there are no atomics and the result is deterministic.

/// <summary>Max pooling, PyTorch semantics (padding is -inf, floor mode). Indices are the flat h*W+w
/// of the chosen input pixel within its plane; the first max wins, a NaN wins over numbers.</summary>
public struct MaxPoolArgs
{
    public ArrayView<float> X, Y;
    public ArrayView<int> Indices;
    public int H, W, OH, OW, Kernel, Stride, Padding, N, Chunk;
}

/// <summary>dx[p, h, w] = sum of dy[p, oh, ow] over the windows whose argmax is (h, w).</summary>
public struct MaxPoolBackArgs
{
    public ArrayView<float> DY, DX;
    public ArrayView<int> Indices;
    public int H, W, OH, OW, Kernel, Stride, Padding, N, Chunk;
}

/// <summary>Adaptive average pooling with PyTorch's bins [floor(i*H/OH), ceil((i+1)*H/OH)); forward
/// (X -> Y, N = outputs) and backward (DY -> DX, N = inputs) share the struct.</summary>
public struct AdaptiveAvgArgs
{
    public ArrayView<float> X, Y;
    public int H, W, OH, OW, N, Chunk;
}

public static class PoolKernels
{
    public static void MaxPool(Index1D i, MaxPoolArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.N ? st + a.Chunk : a.N;
        for (int j = st; j < e; j++)
        {
            int ow = j % a.OW;
            int oh = (j / a.OW) % a.OH;
            int p = j / (a.OW * a.OH);
            int h0 = oh * a.Stride - a.Padding, w0 = ow * a.Stride - a.Padding;
            int h1 = h0 + a.Kernel < a.H ? h0 + a.Kernel : a.H;
            int w1 = w0 + a.Kernel < a.W ? w0 + a.Kernel : a.W;
            if (h0 < 0) h0 = 0;
            if (w0 < 0) w0 = 0;
            int b = p * a.H * a.W;
            int best = h0 * a.W + w0;
            float bv = float.NegativeInfinity;
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++)
                {
                    float v = a.X[b + h * a.W + w];
                    if (v > bv || float.IsNaN(v)) { bv = v; best = h * a.W + w; }
                }
            a.Y[j] = bv;
            a.Indices[j] = best;
        }
    }

    public static void MaxPoolBack(Index1D i, MaxPoolBackArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.N ? st + a.Chunk : a.N;
        for (int j = st; j < e; j++)
        {
            int w = j % a.W;
            int h = (j / a.W) % a.H;
            int p = j / (a.W * a.H);
            int ohA = WindowFirst(h, a.Kernel, a.Stride, a.Padding), ohB = WindowLast(h, a.Stride, a.Padding, a.OH);
            int owA = WindowFirst(w, a.Kernel, a.Stride, a.Padding), owB = WindowLast(w, a.Stride, a.Padding, a.OW);
            int self = h * a.W + w;
            int b = p * a.OH * a.OW;
            float acc = 0f;
            for (int oh = ohA; oh <= ohB; oh++)
                for (int ow = owA; ow <= owB; ow++)
                {
                    int o = b + oh * a.OW + ow;
                    if (a.Indices[o] == self) acc += a.DY[o];
                }
            a.DX[j] = acc;
        }
    }

    /// <summary>First output index whose window [o*s - p, o*s - p + k) contains x.</summary>
    public static int WindowFirst(int x, int k, int s, int p)
    {
        int num = x + p - k + 1;
        return num <= 0 ? 0 : (num + s - 1) / s;
    }

    /// <summary>Last output index (below count) whose window starts at or before x.</summary>
    public static int WindowLast(int x, int s, int p, int count)
    {
        int o = (x + p) / s;
        return o < count - 1 ? o : count - 1;
    }

    public static int BinStart(int o, int size, int outSize) => o * size / outSize;
    public static int BinEnd(int o, int size, int outSize) => ((o + 1) * size + outSize - 1) / outSize;

    public static void AdaptiveAvg(Index1D i, AdaptiveAvgArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.N ? st + a.Chunk : a.N;
        for (int j = st; j < e; j++)
        {
            int ow = j % a.OW;
            int oh = (j / a.OW) % a.OH;
            int p = j / (a.OW * a.OH);
            int h0 = BinStart(oh, a.H, a.OH), h1 = BinEnd(oh, a.H, a.OH);
            int w0 = BinStart(ow, a.W, a.OW), w1 = BinEnd(ow, a.W, a.OW);
            int b = p * a.H * a.W;
            float acc = 0f;
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++) acc += a.X[b + h * a.W + w];
            a.Y[j] = acc / ((h1 - h0) * (w1 - w0));
        }
    }

    /// <summary>Backward: X is dy (OH x OW planes), Y is dx (H x W planes); N counts dx elements.</summary>
    public static void AdaptiveAvgBack(Index1D i, AdaptiveAvgArgs a)
    {
        int st = i * a.Chunk, e = st + a.Chunk < a.N ? st + a.Chunk : a.N;
        for (int j = st; j < e; j++)
        {
            int w = j % a.W;
            int h = (j / a.W) % a.H;
            int p = j / (a.W * a.H);
            // Bins are monotone in o: the ones holding h are o in [h*OH/H, ((h+1)*OH-1)/H].
            int ohA = h * a.OH / a.H, ohB = ((h + 1) * a.OH - 1) / a.H;
            int owA = w * a.OW / a.W, owB = ((w + 1) * a.OW - 1) / a.W;
            if (ohB > a.OH - 1) ohB = a.OH - 1;
            if (owB > a.OW - 1) owB = a.OW - 1;
            int b = p * a.OH * a.OW;
            float acc = 0f;
            for (int oh = ohA; oh <= ohB; oh++)
            {
                int h0 = BinStart(oh, a.H, a.OH), h1 = BinEnd(oh, a.H, a.OH);
                if (h < h0 || h >= h1) continue;
                for (int ow = owA; ow <= owB; ow++)
                {
                    int w0 = BinStart(ow, a.W, a.OW), w1 = BinEnd(ow, a.W, a.OW);
                    if (w < w0 || w >= w1) continue;
                    acc += a.X[b + oh * a.OW + ow] / ((h1 - h0) * (w1 - w0));
                }
            }
            a.Y[j] = acc;
        }
    }
}
