using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace RobustSeg.Data.Transforms;

/// <summary>The OpenCV operations semseg's transforms call, with OpenCV's coordinate conventions:
/// cv2.resize (INTER_LINEAR: half-pixel centres, edge clamp; INTER_NEAREST: floor(dst * src/dst)),
/// cv2.warpAffine (inverse mapping, constant border; nearest rounds) and cv2.GaussianBlur (5x5, sigma 0 ->
/// OpenCV's fixed [1 4 6 4 1]/16 kernel, BORDER_REFLECT_101). OpenCV's 1/32-pixel fixed-point warp
/// coordinates are not reproduced: results agree to interpolation precision, not bit for bit.</summary>
public static class Resampling
{
    /// <summary>OpenCV's output size for fx/fy scaling: round half to even of size*factor (at least 1).</summary>
    public static int ScaledSize(int size, double factor) => Math.Max(1, (int)Math.Round(size * factor, MidpointRounding.ToEven));

    /// <summary>Bilinear resize to (outH, outW); source coordinate = (d + 0.5) / inv - 0.5 with inv the
    /// inverse scale (out/in for an explicit size, fx/fy for factor scaling, as OpenCV does). Rows are blended
    /// vertically first (vectorised), then gathered horizontally.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RgbImage ResizeBilinear(RgbImage src, int outH, int outW, double invScaleY, double invScaleX)
    {
        var (x0, xw) = LinearTaps(src.Width, outW, 1.0 / invScaleX);
        var (y0, yw) = LinearTaps(src.Height, outH, 1.0 / invScaleY);
        var dst = new RgbImage(outH, outW);
        var s = src.Data;
        var d = dst.Data;
        int sw = src.Width, rowLen = sw * 3;
        Parallel.For(0, outH, new ParallelOptions { MaxDegreeOfParallelism = outH * outW > 65536 ? -1 : 1 },
            () => new float[rowLen],
            (y, _, tmp) =>
            {
                int ya = y0[y], yb = Math.Min(ya + 1, src.Height - 1);
                float fy = yw[y];
                var rowA = s.AsSpan(ya * rowLen, rowLen);
                if (fy == 0) rowA.CopyTo(tmp);
                else
                {
                    // tmp = a + (b - a) * fy
                    TensorPrimitives.Subtract(s.AsSpan(yb * rowLen, rowLen), rowA, tmp);
                    TensorPrimitives.MultiplyAdd(tmp, fy, rowA, tmp);
                }
                var o = d.AsSpan(y * outW * 3, outW * 3);
                for (int x = 0; x < outW; x++)
                {
                    int xa = x0[x] * 3, xb = Math.Min(x0[x] + 1, sw - 1) * 3;
                    float fx = xw[x], gx = 1 - fx;
                    o[x * 3] = tmp[xa] * gx + tmp[xb] * fx;
                    o[x * 3 + 1] = tmp[xa + 1] * gx + tmp[xb + 1] * fx;
                    o[x * 3 + 2] = tmp[xa + 2] * gx + tmp[xb + 2] * fx;
                }
                return tmp;
            }, _ => { });
        return dst;
    }

    /// <summary>The same bilinear resize (the same taps and blending) of planar (C,H,W) data to an explicit size:
    /// images and probability maps around inference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] ResizeBilinearPlanar(float[] src, int channels, int h, int w, int outH, int outW)
    {
        if (src.Length != (long)channels * h * w) throw new ArgumentException($"resize: {src.Length} values for ({channels},{h},{w})");
        if (h == outH && w == outW) return (float[])src.Clone();
        var (x0, xw) = LinearTaps(w, outW, (double)w / outW);
        var (y0, yw) = LinearTaps(h, outH, (double)h / outH);
        var dst = new float[(long)channels * outH * outW];
        Parallel.For(0, channels * outH, new ParallelOptions { MaxDegreeOfParallelism = (long)channels * outH * outW > 65536 ? -1 : 1 },
            () => new float[w],
            (row, _, tmp) =>
            {
                int c = row / outH, y = row % outH;
                long plane = (long)c * h * w;
                int ya = y0[y], yb = Math.Min(ya + 1, h - 1);
                float fy = yw[y];
                var rowA = src.AsSpan((int)(plane + (long)ya * w), w);
                if (fy == 0) rowA.CopyTo(tmp);
                else
                {
                    TensorPrimitives.Subtract(src.AsSpan((int)(plane + (long)yb * w), w), rowA, tmp);
                    TensorPrimitives.MultiplyAdd(tmp, fy, rowA, tmp);
                }
                var o = dst.AsSpan((int)(((long)c * outH + y) * outW), outW);
                for (int x = 0; x < outW; x++)
                {
                    int xa = x0[x], xb = Math.Min(xa + 1, w - 1);
                    float fx = xw[x];
                    o[x] = tmp[xa] * (1 - fx) + tmp[xb] * fx;
                }
                return tmp;
            }, _ => { });
        return dst;
    }

    /// <summary>Nearest-neighbour resize of an (H,W) plane of any element type to an explicit size (the label rule
    /// of <see cref="ResizeNearest(LabelMap, int, int, double, double)"/>).</summary>
    public static T[] ResizeNearestPlane<T>(T[] src, int h, int w, int outH, int outW)
    {
        var xs = new int[outW];
        for (int x = 0; x < outW; x++) xs[x] = Math.Min((int)Math.Floor(x * ((double)w / outW)), w - 1);
        var dst = new T[(long)outH * outW];
        for (int y = 0; y < outH; y++)
        {
            int sy = Math.Min((int)Math.Floor(y * ((double)h / outH)), h - 1);
            for (int x = 0; x < outW; x++) dst[(long)y * outW + x] = src[(long)sy * w + xs[x]];
        }
        return dst;
    }

    static (int[] Index, float[] Weight) LinearTaps(int inSize, int outSize, double scale)
    {
        var idx = new int[outSize];
        var w = new float[outSize];
        for (int d = 0; d < outSize; d++)
        {
            float f = (float)((d + 0.5) * scale - 0.5);
            int sx = (int)MathF.Floor(f);
            f -= sx;
            if (sx < 0) { f = 0; sx = 0; }
            if (sx >= inSize - 1) { f = 0; sx = inSize - 1; }
            idx[d] = sx;
            w[d] = f;
        }
        return (idx, w);
    }

    /// <summary>Nearest-neighbour resize of a label map: source = min(floor(d * in/out), in - 1).</summary>
    public static LabelMap ResizeNearest(LabelMap src, int outH, int outW, double invScaleY, double invScaleX)
    {
        var xs = new int[outW];
        for (int x = 0; x < outW; x++) xs[x] = Math.Min((int)Math.Floor(x * (1.0 / invScaleX)), src.Width - 1);
        var dst = new LabelMap(outH, outW);
        for (int y = 0; y < outH; y++)
        {
            int sy = Math.Min((int)Math.Floor(y * (1.0 / invScaleY)), src.Height - 1);
            for (int x = 0; x < outW; x++) dst.Data[(long)y * outW + x] = src.Data[(long)sy * src.Width + xs[x]];
        }
        return dst;
    }

    /// <summary>cv2.getRotationMatrix2D: rotation by <paramref name="angleDeg"/> (counter-clockwise, image
    /// coordinates) about (cx, cy), as a forward 2x3 matrix src -> dst.</summary>
    public static double[] RotationMatrix(double cx, double cy, double angleDeg, double scale = 1)
    {
        double a = angleDeg * Math.PI / 180;
        double alpha = scale * Math.Cos(a), beta = scale * Math.Sin(a);
        return [alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy];
    }

    /// <summary>Inverse of a 2x3 affine matrix (what warpAffine applies to destination coordinates).</summary>
    public static double[] InvertAffine(double[] m)
    {
        double det = m[0] * m[4] - m[1] * m[3];
        if (det == 0) throw new ArgumentException("affine matrix is singular");
        double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
        return [a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])];
    }

    /// <summary>cv2.warpAffine(INTER_LINEAR, BORDER_CONSTANT): taps outside the source read <paramref name="border"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RgbImage WarpAffineBilinear(RgbImage src, double[] forward, int outH, int outW, ReadOnlySpan<float> border)
    {
        var inv = InvertAffine(forward);
        var dst = new RgbImage(outH, outW);
        float b0 = border[0], b1 = border[1], b2 = border[2];
        var s = src.Data;
        var d = dst.Data;
        int sw = src.Width, sh = src.Height;
        Parallel.For(0, outH, new ParallelOptions { MaxDegreeOfParallelism = outH * outW > 65536 ? -1 : 1 }, y =>
        {
            Span<float> bv = [b0, b1, b2];
            var o = d.AsSpan(y * outW * 3, outW * 3);
            for (int x = 0; x < outW; x++)
            {
                double sx = inv[0] * x + inv[1] * y + inv[2];
                double sy = inv[3] * x + inv[4] * y + inv[5];
                int xa = (int)Math.Floor(sx), ya = (int)Math.Floor(sy);
                float fx = (float)(sx - xa), fy = (float)(sy - ya);
                float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
                int oi = x * 3;
                if ((uint)xa < (uint)(sw - 1) && (uint)ya < (uint)(sh - 1))
                {
                    // all four taps inside: the common case
                    int p00 = (ya * sw + xa) * 3, p10 = p00 + sw * 3;
                    for (int c = 0; c < 3; c++)
                        o[oi + c] = s[p00 + c] * w00 + s[p00 + 3 + c] * w01 + s[p10 + c] * w10 + s[p10 + 3 + c] * w11;
                    continue;
                }
                if (xa < -1 || ya < -1 || xa >= sw || ya >= sh)
                {
                    o[oi] = b0; o[oi + 1] = b1; o[oi + 2] = b2;
                    continue;
                }
                bool inA = (uint)xa < (uint)sw, inB = (uint)(xa + 1) < (uint)sw;
                bool inY0 = (uint)ya < (uint)sh, inY1 = (uint)(ya + 1) < (uint)sh;
                for (int c = 0; c < 3; c++)
                {
                    float v00 = inY0 && inA ? s[(ya * sw + xa) * 3 + c] : bv[c];
                    float v01 = inY0 && inB ? s[(ya * sw + xa + 1) * 3 + c] : bv[c];
                    float v10 = inY1 && inA ? s[((ya + 1) * sw + xa) * 3 + c] : bv[c];
                    float v11 = inY1 && inB ? s[((ya + 1) * sw + xa + 1) * 3 + c] : bv[c];
                    o[oi + c] = v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11;
                }
            }
        });
        return dst;
    }

    /// <summary>cv2.warpAffine(INTER_NEAREST, BORDER_CONSTANT): source = round(inverse-mapped coordinate).</summary>
    public static LabelMap WarpAffineNearest(LabelMap src, double[] forward, int outH, int outW, byte border)
    {
        var inv = InvertAffine(forward);
        var dst = new LabelMap(outH, outW);
        Parallel.For(0, outH, new ParallelOptions { MaxDegreeOfParallelism = outH * outW > 65536 ? -1 : 1 }, y =>
        {
            for (int x = 0; x < outW; x++)
            {
                int sx = (int)Math.Floor(inv[0] * x + inv[1] * y + inv[2] + 0.5);
                int sy = (int)Math.Floor(inv[3] * x + inv[4] * y + inv[5] + 0.5);
                dst.Data[(long)y * outW + x] = (uint)sx < (uint)src.Width && (uint)sy < (uint)src.Height
                    ? src.Data[(long)sy * src.Width + sx] : border;
            }
        });
        return dst;
    }

    /// <summary>OpenCV's kernel for ksize 5 and sigma 0 (its small-kernel table).</summary>
    public static readonly float[] Gaussian5 = [1f / 16, 4f / 16, 6f / 16, 4f / 16, 1f / 16];

    /// <summary>Separable 5x5 Gaussian blur with BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba). Interior
    /// pixels are computed with vectorised span arithmetic, the two border pixels of each side by reflection.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RgbImage GaussianBlur5(RgbImage src)
    {
        int h = src.Height, w = src.Width, rowLen = w * 3;
        var k = Gaussian5;
        var tmp = new float[src.Data.Length];
        var s = src.Data;
        Parallel.For(0, h, new ParallelOptions { MaxDegreeOfParallelism = h * w > 65536 ? -1 : 1 }, y =>
        {
            var row = s.AsSpan(y * rowLen, rowLen);
            var outRow = tmp.AsSpan(y * rowLen, rowLen);
            if (w >= 5)
            {
                // outRow[3x + c] for x in [2, w-3]: sum_t k[t] row[3(x + t - 2) + c]
                int n = rowLen - 12;
                var dest = outRow.Slice(6, n);
                TensorPrimitives.Multiply(row.Slice(0, n), k[0], dest);
                for (int t = 1; t < 5; t++) TensorPrimitives.MultiplyAdd(row.Slice(3 * t, n), k[t], dest, dest);
            }
            foreach (int x in BorderColumns(w))
                for (int c = 0; c < 3; c++)
                {
                    float acc = 0;
                    for (int t = -2; t <= 2; t++) acc += k[t + 2] * row[Reflect101(x + t, w) * 3 + c];
                    outRow[x * 3 + c] = acc;
                }
        });
        var dst = new RgbImage(h, w);
        var d = dst.Data;
        Parallel.For(0, h, new ParallelOptions { MaxDegreeOfParallelism = h * w > 65536 ? -1 : 1 }, y =>
        {
            var o = d.AsSpan(y * rowLen, rowLen);
            TensorPrimitives.Multiply(tmp.AsSpan(Reflect101(y - 2, h) * rowLen, rowLen), k[0], o);
            for (int t = -1; t <= 2; t++)
                TensorPrimitives.MultiplyAdd(tmp.AsSpan(Reflect101(y + t, h) * rowLen, rowLen), k[t + 2], o, o);
        });
        return dst;
    }

    static IEnumerable<int> BorderColumns(int w) =>
        w >= 5 ? new[] { 0, 1, w - 2, w - 1 } : Enumerable.Range(0, w);

    internal static int Reflect101(int i, int n)
    {
        if (n == 1) return 0;
        while ((uint)i >= (uint)n) i = i < 0 ? -i : 2 * n - 2 - i;
        return i;
    }
}
