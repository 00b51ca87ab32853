using RobustSeg.Engine;
using RobustSeg.Nn;

namespace RobustSeg.Models;

/// <summary>A residual block; the stage builder needs its output channels.</summary>
public abstract class ResidualBlock : Module
{
    public abstract int OutChannels { get; }

    /// <summary>BN + ReLU after a conv output as one op, freeing what inference no longer needs.</summary>
    protected static Tensor Step(Tensor convOut, BatchNorm2d bn) => Then(convOut, bn.ForwardRelu(convOut));

    /// <summary>The block's tail, relu(bn(convOut) + identity) as one op (PyTorch's `out += identity; relu_(out)`), freeing
    /// the conv output and a downsampled identity under NoGrad.</summary>
    protected static Tensor Tail(Tensor convOut, BatchNorm2d bn, Tensor x, Sequential? downsample)
    {
        var id = downsample is null ? x : downsample.Forward(x);
        var y = bn.ForwardRelu(convOut, residual: id);
        FreeIntermediate(convOut, y);
        if (!ReferenceEquals(id, x)) FreeIntermediate(id, y);
        return y;
    }

    /// <summary>`next`, after freeing `prev` under NoGrad.</summary>
    protected static Tensor Then(Tensor prev, Tensor next)
    {
        FreeIntermediate(prev, next);
        return next;
    }
}

/// <summary>ResNet bottleneck (1x1, 3x3 with the stride, 1x1 x4), torchvision/semseg layout: names conv1..3,
/// bn1..3, downsample.0 (1x1 conv) / downsample.1 (BN).</summary>
public sealed class Bottleneck : ResidualBlock
{
    public const int Expansion = 4;
    readonly Conv2d _conv1, _conv2, _conv3;
    readonly BatchNorm2d _bn1, _bn2, _bn3;
    readonly Sequential? _downsample;
    public override int OutChannels { get; }

    public Bottleneck(Device device, int inplanes, int planes, int stride, int dilation, bool downsample, SeededRandom rng)
    {
        OutChannels = planes * Expansion;
        _conv1 = RegisterModule("conv1", new Conv2d(device, inplanes, planes, 1, bias: false, rng: rng.Fork()));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(device, planes));
        _conv2 = RegisterModule("conv2", new Conv2d(device, planes, planes, 3, stride, dilation, dilation, bias: false, rng: rng.Fork()));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(device, planes));
        _conv3 = RegisterModule("conv3", new Conv2d(device, planes, OutChannels, 1, bias: false, rng: rng.Fork()));
        _bn3 = RegisterModule("bn3", new BatchNorm2d(device, OutChannels));
        RegisterModule("relu", new ReLU());
        if (downsample)
            _downsample = RegisterModule("downsample", new Sequential(
                new Conv2d(device, inplanes, OutChannels, 1, stride, bias: false, rng: rng.Fork()),
                new BatchNorm2d(device, OutChannels)));
    }

    public override Tensor Forward(Tensor x)
    {
        var o = Step(_conv1.Forward(x), _bn1);
        o = Step(Then(o, _conv2.Forward(o)), _bn2);
        return Tail(Then(o, _conv3.Forward(o)), _bn3, x, _downsample);
    }
}

/// <summary>ResNet basic block (two 3x3 convs). In a dilated stage both convs take the stage's dilation
/// and padding (DESIGN section 4).</summary>
public sealed class BasicBlock : ResidualBlock
{
    readonly Conv2d _conv1, _conv2;
    readonly BatchNorm2d _bn1, _bn2;
    readonly Sequential? _downsample;
    public override int OutChannels { get; }

    public BasicBlock(Device device, int inplanes, int planes, int stride, int dilation, bool downsample, SeededRandom rng)
    {
        OutChannels = planes;
        _conv1 = RegisterModule("conv1", new Conv2d(device, inplanes, planes, 3, stride, dilation, dilation, bias: false, rng: rng.Fork()));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(device, planes));
        RegisterModule("relu", new ReLU());
        _conv2 = RegisterModule("conv2", new Conv2d(device, planes, planes, 3, 1, dilation, dilation, bias: false, rng: rng.Fork()));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(device, planes));
        if (downsample)
            _downsample = RegisterModule("downsample", new Sequential(
                new Conv2d(device, inplanes, planes, 1, stride, bias: false, rng: rng.Fork()),
                new BatchNorm2d(device, planes)));
    }

    public override Tensor Forward(Tensor x)
    {
        var o = Step(_conv1.Forward(x), _bn1);
        return Tail(Then(o, _conv2.Forward(o)), _bn2, x, _downsample);
    }
}
