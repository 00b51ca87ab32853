using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

public sealed partial class IlgpuBackend
{
    public override void Softmax(Tensor x, Tensor y, bool log, int n, int c, int s)
    {
        int pixels = n * s;
        var (g, ch) = K.Split(pixels, 16);
        K.Launch(SoftmaxKernels.Softmax, g, new SoftmaxArgs { X = x.View, Y = y.View, Log = log ? 1 : 0, C = c, S = s, N = pixels, Chunk = ch });
    }

    public override void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log, int n, int c, int s)
    {
        int pixels = n * s;
        var (g, ch) = K.Split(pixels, 16);
        K.Launch(SoftmaxKernels.SoftmaxGrad, g, new SoftmaxGradArgs { Y = y.View, DY = dy.View, DX = dx.View, Log = log ? 1 : 0, C = c, S = s, N = pixels, Chunk = ch });
    }

    public override void CrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, Tensor flags, int n, int k, int s, int ignoreIndex)
    {
        int pixels = n * s;
        var (g, ch) = K.Split(pixels, 16);
        K.Launch(SoftmaxKernels.CrossEntropy, g, new CrossEntropyArgs
        {
            X = logits.View, Loss = loss.View, Flags = flags.View, Labels = labels.IntView,
            C = k, S = s, Ignore = ignoreIndex, N = pixels, Chunk = ch,
        });
    }

    public override void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor dy, bool dyPerPixel, float scale, Tensor dx,
        int n, int k, int s, int ignoreIndex)
    {
        int pixels = n * s;
        var (g, ch) = K.Split(pixels, 16);
        K.Launch(SoftmaxKernels.CrossEntropyGrad, g, new CrossEntropyGradArgs
        {
            X = logits.View, DY = dy.View, DX = dx.View, Labels = labels.IntView, PerPixel = dyPerPixel ? 1 : 0,
            Scale = scale, C = k, S = s, Ignore = ignoreIndex, N = pixels, Chunk = ch,
        });
    }
}
