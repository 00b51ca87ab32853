namespace RobustSeg.Engine;

public abstract partial class Backend
{
    /// <summary>y = softmax (or log-softmax) of x over dim 1 of (n, c, s).</summary>
    public abstract void Softmax(Tensor x, Tensor y, bool log, int n, int c, int s);

    /// <summary>dx from the forward output y and dy (see SoftmaxGradArgs).</summary>
    public abstract void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log, int n, int c, int s);

    /// <summary>Per-pixel loss (n*s) of logits (n, k, s) and int labels (n*s), and flags (2, n*s):
    /// row 0 = counted pixel, row 1 = label outside [0, k) that is not ignoreIndex.</summary>
    public abstract void CrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, Tensor flags, int n, int k, int s, int ignoreIndex);

    /// <summary>dx = scale * dy * (softmax - onehot) at counted pixels, 0 elsewhere; dy per pixel (n*s)
    /// or a single value.</summary>
    public abstract void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor dy, bool dyPerPixel, float scale, Tensor dx,
        int n, int k, int s, int ignoreIndex);
}
