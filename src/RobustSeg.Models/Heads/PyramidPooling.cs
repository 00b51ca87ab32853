using RobustSeg.Engine;
using RobustSeg.Nn;

namespace RobustSeg.Models;

/// <summary>PSPNet's pyramid pooling module: for each bin, adaptive average pool -> 1x1 conv (no bias) -> BN
/// -> ReLU -> bilinear up (align corners), concatenated after the input. Children features.i.{0 pool, 1 conv,
/// 2 bn, 3 relu} as semseg's PPM.</summary>
public sealed class PyramidPooling : Module
{
    readonly ModuleList _features;
    public int OutChannels { get; }

    public PyramidPooling(Device device, int inDim, int reductionDim, int[] bins, SeededRandom rng)
    {
        _features = RegisterModule("features", new ModuleList());
        foreach (var b in bins)
            _features.Add(new Sequential(new AdaptiveAvgPool2d(b),
                new Conv2d(device, inDim, reductionDim, 1, bias: false, rng: rng.Fork(), init: ConvInit.TorchDefault),
                new BatchNorm2d(device, reductionDim), new ReLU()));
        OutChannels = inDim + bins.Length * reductionDim;
    }

    public override Tensor Forward(Tensor x)
    {
        int h = x.Size(2), w = x.Size(3);
        var outs = new List<Tensor> { x };
        foreach (var f in _features) outs.Add(F.InterpolateBilinear(f.Forward(x), h, w));
        return F.Concat(outs.ToArray());
    }
}

/// <summary>DeepLabV3's ASPP as in the DDC-AT code: convs.0 = 1x1 branch, convs.1..3 = 3x3 at the atrous
/// rates, convs.4 = image pooling (pool, 1x1 conv, BN, ReLU) upsampled back; each Conv-BN-ReLU, all
/// concatenated.</summary>
public sealed class Aspp : Module
{
    readonly ModuleList _convs;
    public int OutChannels { get; }

    public Aspp(Device device, int inChannels, int outChannels, int[] rates, SeededRandom rng)
    {
        _convs = RegisterModule("convs", new ModuleList());
        _convs.Add(new Sequential(new Conv2d(device, inChannels, outChannels, 1, bias: false, rng: rng.Fork(), init: ConvInit.TorchDefault),
            new BatchNorm2d(device, outChannels), new ReLU()));
        foreach (var r in rates)
            _convs.Add(new Sequential(new Conv2d(device, inChannels, outChannels, 3, 1, r, r, bias: false, rng: rng.Fork(), init: ConvInit.TorchDefault),
                new BatchNorm2d(device, outChannels), new ReLU()));
        _convs.Add(new Sequential(new AdaptiveAvgPool2d(1),
            new Conv2d(device, inChannels, outChannels, 1, bias: false, rng: rng.Fork(), init: ConvInit.TorchDefault),
            new BatchNorm2d(device, outChannels), new ReLU()));
        OutChannels = outChannels * (rates.Length + 2);
    }

    public override Tensor Forward(Tensor x)
    {
        var outs = new Tensor[_convs.Count];
        for (int i = 0; i < _convs.Count - 1; i++) outs[i] = _convs[i].Forward(x);
        outs[^1] = F.InterpolateBilinear(_convs[^1].Forward(x), x.Size(2), x.Size(3));
        return F.Concat(outs);
    }
}
