using RobustSeg.Engine;
using RobustSeg.Nn;

namespace RobustSeg.Models;

/// <summary>The parts that differ between PSPNet and DeepLabV3: the context module on layer4 and the
/// classifier / auxiliary head layouts.</summary>
public interface IHeadFamily
{
    /// <summary>"ppm" or "aspp": the context module's state-dict name.</summary>
    string ContextName { get; }
    (Module Module, int OutChannels) Context(Device device, ModelConfig cfg, int inChannels, SeededRandom rng);
    /// <summary>Conv BN ReLU Dropout2d Conv(outputs, bias): cls, cls1, cls2, mask1.</summary>
    Sequential Classifier(Device device, ModelConfig cfg, int inChannels, int outputs, SeededRandom rng);
    /// <summary>The auxiliary head on layer3 (aux, aux_cls1).</summary>
    Sequential Aux(Device device, ModelConfig cfg, int inChannels, SeededRandom rng);
}

/// <summary>PSPNet: PPM bins 1,2,3,6 with reduction dim C/4; cls = conv3x3(2C,512) BN ReLU Dropout conv1x1;
/// aux = conv3x3(layer3,256) BN ReLU Dropout conv1x1 (512 and 256 scaled by the width).</summary>
public sealed class PspHeads : IHeadFamily
{
    public static readonly PspHeads Instance = new();
    public static readonly int[] Bins = [1, 2, 3, 6];
    public string ContextName => "ppm";

    public (Module, int) Context(Device device, ModelConfig cfg, int inChannels, SeededRandom rng)
    {
        var ppm = new PyramidPooling(device, inChannels, inChannels / Bins.Length, Bins, rng);
        return (ppm, ppm.OutChannels);
    }

    public Sequential Classifier(Device device, ModelConfig cfg, int inChannels, int outputs, SeededRandom rng) =>
        Head(device, cfg, inChannels, cfg.Ch(512), outputs, 3, rng);

    public Sequential Aux(Device device, ModelConfig cfg, int inChannels, SeededRandom rng) =>
        Head(device, cfg, inChannels, cfg.Ch(256), cfg.Classes, 3, rng);

    internal static Sequential Head(Device device, ModelConfig cfg, int inC, int midC, int outC, int k, SeededRandom rng) => new(
        new Conv2d(device, inC, midC, k, 1, k / 2, bias: false, rng: rng.Fork(), init: ConvInit.TorchDefault),
        new BatchNorm2d(device, midC), new ReLU(),
        new Dropout2d(cfg.Dropout, rng.NextULong()),
        new Conv2d(device, midC, outC, 1, rng: rng.Fork(), init: ConvInit.TorchDefault));
}

/// <summary>DeepLabV3: ASPP rates 6,12,18 + image pool, 256 each; cls = conv1x1(1280,256) BN ReLU Dropout conv1x1;
/// aux = conv1x1(layer3,256) BN ReLU Dropout conv1x1 (256 scaled by the width).</summary>
public sealed class AsppHeads : IHeadFamily
{
    public static readonly AsppHeads Instance = new();
    public static readonly int[] Rates = [6, 12, 18];
    public string ContextName => "aspp";

    public (Module, int) Context(Device device, ModelConfig cfg, int inChannels, SeededRandom rng)
    {
        var aspp = new Aspp(device, inChannels, cfg.Ch(256), Rates, rng);
        return (aspp, aspp.OutChannels);
    }

    public Sequential Classifier(Device device, ModelConfig cfg, int inChannels, int outputs, SeededRandom rng) =>
        PspHeads.Head(device, cfg, inChannels, cfg.Ch(256), outputs, 1, rng);

    public Sequential Aux(Device device, ModelConfig cfg, int inChannels, SeededRandom rng) =>
        PspHeads.Head(device, cfg, inChannels, cfg.Ch(256), cfg.Classes, 1, rng);
}
