using System.Diagnostics;
using RobustSeg.Kernels;

namespace RobustSeg.Engine;

/// <summary>A backend that forwards every op to the device's own backend and times it into an
/// <see cref="OpProfile"/> (the engine's per-op profile: `robustseg bench train --profile`). On a GPU each op
/// waits for the device before its clock stops, so the table shows kernel time, not launch time (and the run is
/// slower than an unprofiled one). Installed by <see cref="Device.Profile"/>; calls the inner backend makes to
/// itself are part of the outer op's time.</summary>
public sealed class ProfilingBackend(Backend inner, OpProfile profile) : Backend(inner.Device)
{
    public Backend Inner { get; } = inner;
    public OpProfile Profile { get; } = profile;

    OpProfile.Timer Time(string op) => Profile.Start(op, Device);

    OpProfile.Timer Time(string op, in Conv2dGeom g) => Profile.Start(Profile.ConvKey(op, g), Device);

    public override void AttackStep(Tensor x, Tensor g, Tensor x0, Tensor y, float alpha, float eps, bool useSign) { using var _ = Time("AttackStep"); Inner.AttackStep(x, g, x0, y, alpha, eps, useSign); }
    public override void BatchNormStats(Tensor x, int n, int c, int s, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar, bool training, float momentum, float eps, Tensor mean, Tensor invstd, Tensor scale, Tensor shift) { using var _ = Time("BatchNormStats"); Inner.BatchNormStats(x, n, c, s, weight, bias, runningMean, runningVar, training, momentum, eps, mean, invstd, scale, shift); }
    public override void BatchNormApply(Tensor x, Tensor scale, Tensor shift, Tensor y, int c, int s, Tensor? residual = null, bool relu = false) { using var _ = Time("BatchNormApply"); Inner.BatchNormApply(x, scale, shift, y, c, s, residual, relu); }
    public override void BatchNormBackward(Tensor x, Tensor dy, Tensor mean, Tensor invstd, Tensor? weight, bool training, int n, int c, int s, Tensor? dx, Tensor? dweight, Tensor? dbias, Tensor? reluOut = null, Tensor? maskedDy = null) { using var _ = Time("BatchNormBackward"); Inner.BatchNormBackward(x, dy, mean, invstd, weight, training, n, c, s, dx, dweight, dbias, reluOut, maskedDy); }
    public override void Conv2dForward(in Conv2dGeom g, Tensor x, Tensor w, Tensor? bias, Tensor y) { using var _ = Time("Conv2dForward", g); Inner.Conv2dForward(in g, x, w, bias, y); }
    public override void Conv2dBackwardData(in Conv2dGeom g, Tensor dy, Tensor w, Tensor dx) { using var _ = Time("Conv2dBackwardData", g); Inner.Conv2dBackwardData(in g, dy, w, dx); }
    public override void Conv2dBackwardWeight(in Conv2dGeom g, Tensor x, Tensor dy, Tensor dw) { using var _ = Time("Conv2dBackwardWeight", g); Inner.Conv2dBackwardWeight(in g, x, dy, dw); }
    public override void InterpolateBilinear(Tensor x, Tensor y, int planes, int h, int w, int outH, int outW) { using var _ = Time("InterpolateBilinear"); Inner.InterpolateBilinear(x, y, planes, h, w, outH, outW); }
    public override void InterpolateBilinearBackward(Tensor dy, Tensor dx, int planes, int h, int w, int outH, int outW) { using var _ = Time("InterpolateBilinearBackward"); Inner.InterpolateBilinearBackward(dy, dx, planes, h, w, outH, outW); }
    public override void Softmax(Tensor x, Tensor y, bool log, int n, int c, int s) { using var _ = Time("Softmax"); Inner.Softmax(x, y, log, n, c, s); }
    public override void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log, int n, int c, int s) { using var _ = Time("SoftmaxBackward"); Inner.SoftmaxBackward(y, dy, dx, log, n, c, s); }
    public override void CrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, Tensor flags, int n, int k, int s, int ignoreIndex) { using var _ = Time("CrossEntropyForward"); Inner.CrossEntropyForward(logits, labels, loss, flags, n, k, s, ignoreIndex); }
    public override void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor dy, bool dyPerPixel, float scale, Tensor dx, int n, int k, int s, int ignoreIndex) { using var _ = Time("CrossEntropyBackward"); Inner.CrossEntropyBackward(logits, labels, dy, dyPerPixel, scale, dx, n, k, s, ignoreIndex); }
    public override void MaxPool2d(Tensor x, Tensor y, Tensor indices, in PoolGeometry g) { using var _ = Time("MaxPool2d"); Inner.MaxPool2d(x, y, indices, in g); }
    public override void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, in PoolGeometry g) { using var _ = Time("MaxPool2dBackward"); Inner.MaxPool2dBackward(dy, indices, dx, in g); }
    public override void AdaptiveAvgPool2d(Tensor x, Tensor y, in PoolGeometry g) { using var _ = Time("AdaptiveAvgPool2d"); Inner.AdaptiveAvgPool2d(x, y, in g); }
    public override void AdaptiveAvgPool2dBackward(Tensor dy, Tensor dx, in PoolGeometry g) { using var _ = Time("AdaptiveAvgPool2dBackward"); Inner.AdaptiveAvgPool2dBackward(dy, dx, in g); }
    public override void Dropout2dMask(Tensor mask, ulong seed, float p, float scale) { using var _ = Time("Dropout2dMask"); Inner.Dropout2dMask(mask, seed, p, scale); }
    public override void Fill(Tensor y, float value) { using var _ = Time("Fill"); Inner.Fill(y, value); }
    public override void Copy(Tensor x, Tensor y) { using var _ = Time("Copy"); Inner.Copy(x, y); }
    public override void Unary(UnaryOp op, Tensor x, Tensor y, float p0 = 0f, float p1 = 0f) { using var _ = Time("Unary"); Inner.Unary(op, x, y, p0, p1); }
    public override void UnaryGrad(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, float p0 = 0f, float p1 = 0f) { using var _ = Time("UnaryGrad"); Inner.UnaryGrad(op, x, y, dy, dx, p0, p1); }
    public override void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) { using var _ = Time("Binary"); Inner.Binary(op, a, b, y); }
    public override void Axpby(float a, Tensor x, float b, Tensor y, Tensor output) { using var _ = Time("Axpby"); Inner.Axpby(a, x, b, y, output); }
    public override void SgdStep(Tensor p, Tensor grad, Tensor? buf, float lr, float momentum, float weightDecay, bool first) { using var _ = Time("SgdStep"); Inner.SgdStep(p, grad, buf, lr, momentum, weightDecay, first); }
    public override void Channel(BinaryOp op, Tensor x, Tensor v, Tensor y, int channels, int spatial) { using var _ = Time("Channel"); Inner.Channel(op, x, v, y, channels, spatial); }
    public override void Where(Tensor mask, Tensor a, Tensor b, Tensor y, bool broadcast, int channels, int spatial) { using var _ = Time("Where"); Inner.Where(mask, a, b, y, broadcast, channels, spatial); }
    public override void RandUniform(Tensor y, ulong seed, float lo, float hi) { using var _ = Time("RandUniform"); Inner.RandUniform(y, seed, lo, hi); }
    public override void IntCompare(IntCompareOp op, Tensor a, Tensor b, Tensor y) { using var _ = Time("IntCompare"); Inner.IntCompare(op, a, b, y); }
    public override void IntToFloat(Tensor x, Tensor y) { using var _ = Time("IntToFloat"); Inner.IntToFloat(x, y); }
    public override void Reduce(Tensor x, Tensor? y, Tensor output, int outer, int r, int inner, int rChunk) { using var _ = Time("Reduce"); Inner.Reduce(x, y, output, outer, r, inner, rChunk); }
    public override void Expand(Tensor x, Tensor y, int outer, int r, int inner, float scale) { using var _ = Time("Expand"); Inner.Expand(x, y, outer, r, inner, scale); }
    public override void ChannelMax(Tensor x, Tensor values, Tensor indices, int channels, int spatial) { using var _ = Time("ChannelMax"); Inner.ChannelMax(x, values, indices, channels, spatial); }
    public override void ChannelScatter(Tensor indices, Tensor dy, Tensor dx, int channels, int spatial) { using var _ = Time("ChannelScatter"); Inner.ChannelScatter(indices, dy, dx, channels, spatial); }
    public override void CopyChannels(Tensor src, int srcChannels, int srcOffset, Tensor dst, int dstChannels, int dstOffset, int count, int spatial, int batch, bool accumulate) { using var _ = Time("CopyChannels"); Inner.CopyChannels(src, srcChannels, srcOffset, dst, dstChannels, dstOffset, count, spatial, batch, accumulate); }
    public override void Gemm(in GemmDesc d, Tensor a, Tensor b, Tensor c) { using var _ = Time("Gemm"); Inner.Gemm(in d, a, b, c); }
}
