using RobustSeg.Config;
using RobustSeg.Engine;
using RobustSeg.Nn;

namespace RobustSeg.Models;

/// <summary>A semseg-style segmentation network: dilated deep-stem ResNet (layer0..layer4), a context module
/// (ppm | aspp) and heads (cls, aux; or cls1, mask1, cls2, aux_cls1 for DDC-AT), registered in the original
/// order so state-dict keys equal the original checkpoints'. Input: NORMALISED images (N, 3, H, W) with
/// (H-1) % 8 == 0 and (W-1) % 8 == 0 (see <see cref="Normalization"/>).</summary>
public abstract class SegmentationModel : Module
{
    public ModelConfig Config { get; }
    public bool IsDdcat { get; }
    public IHeadFamily Family { get; }
    protected Sequential Layer0 { get; }
    protected Sequential Layer1 { get; }
    protected Sequential Layer2 { get; }
    protected Sequential Layer3 { get; }
    protected Sequential Layer4 { get; }
    protected Module Context { get; }
    /// <summary>The main classifier: `cls` in a plain model, `cls1` in a DDC-AT model (the deployed branch).</summary>
    protected Sequential Cls1 { get; }
    /// <summary>DDC-AT: `mask1`, the 2-way head that routes each pixel to cls1 (0) or cls2 (1).</summary>
    protected Sequential? Mask1 { get; }
    /// <summary>DDC-AT: `cls2`, the branch for perturbation-sensitive pixels.</summary>
    protected Sequential? Cls2 { get; }
    protected Sequential AuxHead { get; }

    protected SegmentationModel(Device device, ModelConfig cfg, IHeadFamily family, bool ddcat)
    {
        Config = (cfg with { Ddcat = ddcat }).Validate();
        IsDdcat = ddcat;
        Family = family;
        var rng = new SeededRandom(Config.Seed ^ 0x5EED5EEDUL);
        Layer0 = RegisterModule("layer0", ResNetBuilder.Stem(device, Config, rng.Fork()));
        int inplanes = Config.Ch(128);
        Layer1 = RegisterModule("layer1", ResNetBuilder.Stage(device, Config, 1, ref inplanes, rng.Fork()));
        Layer2 = RegisterModule("layer2", ResNetBuilder.Stage(device, Config, 2, ref inplanes, rng.Fork()));
        Layer3 = RegisterModule("layer3", ResNetBuilder.Stage(device, Config, 3, ref inplanes, rng.Fork()));
        int layer3Channels = inplanes;
        Layer4 = RegisterModule("layer4", ResNetBuilder.Stage(device, Config, 4, ref inplanes, rng.Fork()));
        var (ctx, feaDim) = family.Context(device, Config, inplanes, rng.Fork());
        Context = RegisterModule(family.ContextName, ctx);
        if (!ddcat)
        {
            Cls1 = RegisterModule("cls", family.Classifier(device, Config, feaDim, Config.Classes, rng.Fork()));
            AuxHead = RegisterModule("aux", family.Aux(device, Config, layer3Channels, rng.Fork()));
        }
        else
        {
            Cls1 = RegisterModule("cls1", family.Classifier(device, Config, feaDim, Config.Classes, rng.Fork()));
            Mask1 = RegisterModule("mask1", family.Classifier(device, Config, feaDim, 2, rng.Fork()));
            Cls2 = RegisterModule("cls2", family.Classifier(device, Config, feaDim, Config.Classes, rng.Fork()));
            AuxHead = RegisterModule("aux_cls1", family.Aux(device, Config, layer3Channels, rng.Fork()));
        }
    }

    public Device Device => Layer0.Parameters().First().Device;

    /// <summary>Output side for an input side: (size-1)/8*zoom+1. Throws when (size-1) % 8 != 0.</summary>
    public int OutputSize(int size, string what = "size")
    {
        if (!ModelRules.IsValidSide(size))
            throw new ArgumentException($"input {what} {size} is not supported: (size - 1) must be a positive multiple of 8 (e.g. {ModelRules.NearestValidSide(size)})");
        return (size - 1) / 8 * Config.ZoomFactor + 1;
    }


    /// <summary>Single-output convenience: the deployed logits.</summary>
    public override Tensor Forward(Tensor x) => Run(x).Logits;

    /// <summary>The forward pass; heads not needed by the mode (or `options`) are not computed.</summary>
    public SegOutput Run(Tensor x, ForwardOptions? options = null)
    {
        if (x.Rank != 4 || x.Size(1) != 3)
            throw new ArgumentException($"{Config.Describe()}: expected input (N, 3, H, W), got {x.ShapeString}");
        if (x.DType != DType.Float32) throw new ArgumentException("model input must be float32 (normalised images)");
        int h = OutputSize(x.Size(2), "height"), w = OutputSize(x.Size(3), "width");
        bool all = options?.AllHeads ?? IsTraining;
        bool aux = options?.Aux ?? IsTraining;

        // Under NoGrad each stage's input is freed as soon as it is consumed (Module.FreeIntermediate).
        var f0 = Layer0.Forward(x);
        var f1 = Layer1.Forward(f0); FreeIntermediate(f0, f1);
        var f2 = Layer2.Forward(f1); FreeIntermediate(f1, f2);
        var f3 = Layer3.Forward(f2); FreeIntermediate(f2, f3);
        var f4 = Layer4.Forward(f3);
        var fea = Context.Forward(f4); FreeIntermediate(f4, fea);
        Tensor? auxOut = aux ? Up(AuxHead.Forward(f3), h, w) : null;
        FreeIntermediate(f3, fea);
        var main = Up(Cls1.Forward(fea), h, w);
        if (!IsDdcat || !all)
        {
            FreeIntermediate(fea, main);
            return IsDdcat ? new SegOutput(main, auxOut, Cls1: main) : new SegOutput(main, auxOut);
        }

        var adv = Up(Cls2!.Forward(fea), h, w);
        var mask = Up(Mask1!.Forward(fea), h, w);
        FreeIntermediate(fea, mask);
        // Routing by the mask head's own argmax: an int mask, so no gradient flows through the choice.
        var route = F.Argmax(mask);
        var routed = F.Where(route, adv, main);
        return new SegOutput(routed, auxOut, main, adv, mask, route);
    }

    static Tensor Up(Tensor t, int h, int w)
    {
        if (t.Size(2) == h && t.Size(3) == w) return t;
        var u = F.InterpolateBilinear(t, h, w);
        FreeIntermediate(t, u);
        return u;
    }

    /// <summary>Backbone (layer0..layer4) parameters, and every head's (context, classifiers, aux).</summary>
    public (List<(string, Tensor)> Backbone, List<(string, Tensor)> Heads) SplitParameters()
    {
        var bb = new List<(string, Tensor)>();
        var hd = new List<(string, Tensor)>();
        foreach (var (n, t) in NamedParameters())
            (n.StartsWith("layer", StringComparison.Ordinal) ? bb : hd).Add((n, t));
        return (bb, hd);
    }

    /// <summary>semseg's groups: backbone at base LR, every head at 10x (DESIGN section 5).</summary>
    public SGD CreateOptimizer(double baseLr = 0.01, double momentum = 0.9, double weightDecay = 1e-4, double headLrScale = 10)
    {
        var (bb, hd) = SplitParameters();
        return new SGD([new ParamGroup("backbone", bb, baseLr, momentum, weightDecay),
                        new ParamGroup("heads", hd, baseLr * headLrScale, momentum, weightDecay)]);
    }
}

/// <summary>PSPNet (semseg): PPM on layer4, cls, aux on layer3.</summary>
public sealed class PSPNet(Device device, ModelConfig cfg) : SegmentationModel(device, cfg with { Arch = "psp" }, PspHeads.Instance, false);

/// <summary>DeepLabV3 (DDC-AT repo): ASPP on layer4, cls, aux on layer3.</summary>
public sealed class DeepLabV3(Device device, ModelConfig cfg) : SegmentationModel(device, cfg with { Arch = "aspp" }, AsppHeads.Instance, false);

/// <summary>PSPNet_DDCAT: cls1, mask1, cls2, aux_cls1 on the PPM feature.</summary>
public sealed class PSPNetDdcat(Device device, ModelConfig cfg) : SegmentationModel(device, cfg with { Arch = "psp" }, PspHeads.Instance, true);

/// <summary>DeepLabV3_DDCAT: cls1, mask1, cls2, aux_cls1 on the ASPP feature.</summary>
public sealed class DeepLabV3Ddcat(Device device, ModelConfig cfg) : SegmentationModel(device, cfg with { Arch = "aspp" }, AsppHeads.Instance, true);
