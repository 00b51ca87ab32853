namespace RobustSeg.Engine.Reference;

/// <summary>Double-precision references of the shape ops, written with explicit multi-indices (no block
/// arithmetic shared with the engine), so the engine's outer x size x inner decomposition is checked.</summary>
public static class ShapeReference
{
    static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>y[idx] = f(idx) over every multi-index of <paramref name="shape"/>.</summary>
    static double[] Build(int[] shape, Func<int[], double> f)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var y = new double[n];
        var idx = new int[shape.Length];
        for (int j = 0; j < n; j++)
        {
            int r = j;
            for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = r % shape[d]; r /= shape[d]; }
            y[j] = f(idx);
        }
        return y;
    }

    static double At(double[] x, int[] shape, int[] idx)
    {
        var s = Strides(shape);
        int o = 0;
        for (int d = 0; d < idx.Length; d++) o += idx[d] * s[d];
        return x[o];
    }

    public static double[] Narrow(double[] x, int[] shape, int axis, int start, int length)
    {
        var outShape = (int[])shape.Clone(); outShape[axis] = length;
        return Build(outShape, idx => { var i = (int[])idx.Clone(); i[axis] += start; return At(x, shape, i); });
    }

    public static double[] Pad(double[] x, int[] shape, int axis, int before, int after, double value)
    {
        var outShape = (int[])shape.Clone(); outShape[axis] += before + after;
        return Build(outShape, idx =>
        {
            int k = idx[axis] - before;
            if (k < 0 || k >= shape[axis]) return value;
            var i = (int[])idx.Clone(); i[axis] = k; return At(x, shape, i);
        });
    }

    public static double[] Cat(double[][] xs, int[][] shapes, int axis)
    {
        var outShape = (int[])shapes[0].Clone(); outShape[axis] = shapes.Sum(s => s[axis]);
        return Build(outShape, idx =>
        {
            int k = idx[axis];
            for (int t = 0; t < xs.Length; t++)
            {
                if (k < shapes[t][axis]) { var i = (int[])idx.Clone(); i[axis] = k; return At(xs[t], shapes[t], i); }
                k -= shapes[t][axis];
            }
            throw new InvalidOperationException("unreachable");
        });
    }

    /// <summary>x (N,C,h,w) at (top,left) on an (H,W) canvas filled per channel.</summary>
    public static double[] Pad2d(double[] x, int[] shape, int top, int left, int outH, int outW, double[]? fill)
    {
        int[] outShape = [shape[0], shape[1], outH, outW];
        return Build(outShape, idx =>
        {
            int y = idx[2] - top, q = idx[3] - left;
            if (y < 0 || y >= shape[2] || q < 0 || q >= shape[3]) return fill?[idx[1]] ?? 0;
            return At(x, shape, [idx[0], idx[1], y, q]);
        });
    }

    /// <summary>(N,1,...) broadcast over C channels.</summary>
    public static double[] ExpandChannels(double[] x, int[] shape, int channels)
    {
        var outShape = (int[])shape.Clone(); outShape[1] = channels;
        return Build(outShape, idx => { var i = (int[])idx.Clone(); i[1] = 0; return At(x, shape, i); });
    }
}
