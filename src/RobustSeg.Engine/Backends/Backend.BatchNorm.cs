namespace RobustSeg.Engine;

public abstract partial class Backend
{
    // ----- batch norm over x viewed as (N, C, S) -----

    /// <summary>Per channel: in training the batch mean and biased variance (deterministic, fixed-order
    /// merge) with the running stats updated in place (momentum, unbiased variance); in eval the running
    /// stats. Writes the saved mean and invstd = 1/sqrt(var + eps) and the affine form
    /// y = x*scale + shift (scale = w*invstd, shift = b - mean*scale).</summary>
    public abstract void BatchNormStats(Tensor x, int n, int c, int s, Tensor? weight, Tensor? bias,
        Tensor runningMean, Tensor runningVar, bool training, float momentum, float eps,
        Tensor mean, Tensor invstd, Tensor scale, Tensor shift);

    /// <summary>y[n,c,s] = x[n,c,s]*scale[c] + shift[c], then (residual) + residual[n,c,s], then (relu) max(y, 0): the
    /// same arithmetic, in the same order, as the separate Binary(Add) and Unary(Relu) of this backend (same bits), in
    /// one pass over y instead of three.</summary>
    public abstract void BatchNormApply(Tensor x, Tensor scale, Tensor shift, Tensor y, int c, int s, Tensor? residual = null, bool relu = false);

    /// <summary>Gradients of batch norm given the saved mean/invstd: dx (training: through the batch
    /// statistics; eval: dy*w*invstd), dweight = sum dy*(x-mean)*invstd, dbias = sum dy. Null outputs are
    /// skipped (and so are the reductions when nothing needs them). With reluOut (the output y of a ReLU after the
    /// batch norm, as <see cref="BatchNormApply"/> writes it) dy is the gradient of y, masked on the fly as
    /// UnaryGrad(Relu, y, y, dy) would (y &lt;= 0: 0), and that masked gradient is written to maskedDy where given
    /// (the residual's gradient; requires dx): one pass fewer over the activation than the separate ReLU gradient,
    /// the same bits.</summary>
    public abstract void BatchNormBackward(Tensor x, Tensor dy, Tensor mean, Tensor invstd, Tensor? weight, bool training,
        int n, int c, int s, Tensor? dx, Tensor? dweight, Tensor? dbias, Tensor? reluOut = null, Tensor? maskedDy = null);
}
