namespace RobustSeg.Engine;

public static partial class F
{
    static (int N, int C, int H, int W) Nchw(Tensor x, string op)
    {
        Float(x, op);
        if (x.Rank != 4) throw new ArgumentException($"{op}: expected a 4-D (N, C, H, W) input, got {x.ShapeString}");
        return (x.Size(0), x.Size(1), x.Size(2), x.Size(3));
    }

    /// <summary>Max pooling with PyTorch semantics: square kernel, stride and padding (padding counts as
    /// -inf and must be at most kernel/2), floor mode, first max wins. The backward is a gather over the
    /// stored argmax indices.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding)
    {
        const string op = "max_pool2d";
        var (n, c, h, w) = Nchw(x, op);
        if (kernel < 1 || stride < 1 || padding < 0)
            throw new ArgumentException($"{op}: kernel and stride must be >= 1 and padding >= 0, got kernel {kernel}, stride {stride}, padding {padding}");
        if (padding > kernel / 2)
            throw new ArgumentException($"{op}: padding {padding} must be at most half the kernel size {kernel}");
        int oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1;
        if (h + 2 * padding < kernel || w + 2 * padding < kernel || oh < 1 || ow < 1)
            throw new ArgumentException($"{op}: input {x.ShapeString} with padding {padding} is smaller than the kernel {kernel}");
        var g = new PoolGeometry(n * c, h, w, oh, ow, kernel, stride, padding);
        var dev = x.Device;
        var y = Tensor.Empty(dev, n, c, oh, ow);
        var idx = Tensor.EmptyInt(dev, n, c, oh, ow);
        dev.Backend.MaxPool2d(x, y, idx, g);
        if (!Autograd.ShouldRecord(x)) { idx.Dispose(); return y; }
        return Autograd.Record(y, op, [x], (gy, needs) =>
        {
            var dx = Tensor.Empty(dev, x.Shape);
            dev.Backend.MaxPool2dBackward(gy, idx, dx, g);
            return [dx];
        });
    }

    /// <summary>PyTorch's adaptive average pooling bins: [floor(i*H/out), ceil((i+1)*H/out)) (bins may
    /// overlap, and the output may be larger than the input). The backward is a gather.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW)
    {
        const string op = "adaptive_avg_pool2d";
        var (n, c, h, w) = Nchw(x, op);
        if (outH < 1 || outW < 1) throw new ArgumentException($"{op}: output size must be >= 1, got {outH}x{outW}");
        if (h < 1 || w < 1) throw new ArgumentException($"{op}: input {x.ShapeString} has an empty spatial size");
        var g = new PoolGeometry(n * c, h, w, outH, outW);
        var dev = x.Device;
        var y = Tensor.Empty(dev, n, c, outH, outW);
        dev.Backend.AdaptiveAvgPool2d(x, y, g);
        return Autograd.Record(y, op, [x], (gy, needs) =>
        {
            var dx = Tensor.Empty(dev, x.Shape);
            dev.Backend.AdaptiveAvgPool2dBackward(gy, dx, g);
            return [dx];
        });
    }
}
