using RobustSeg.Config;
using RobustSeg.Engine;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Data;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Settings of one evaluation run.</summary>
public sealed record EvalSettings
{
    public required int Classes { get; init; }
    /// <summary>Long side the image is resized to before the sliding window (VOC 512, Cityscapes 1024).</summary>
    public required int BaseSize { get; init; }
    public required int CropH { get; init; }
    public required int CropW { get; init; }
    /// <summary>Normalisation mean in 0..255 (also the pad colour).</summary>
    public float[] Mean255 { get; init; } = ImageNet.Mean255;
    /// <summary>Average with the mirrored image's prediction. Set it with <see cref="FlipFor"/> to follow the original.</summary>
    public bool Flip { get; init; }

    /// <summary>The original's test scripts use `flip = not attack`: clean evaluation averages with the flipped image,
    /// attacked evaluation does not. `--no-flip` turns it off; `--flip` asks for it under attack too.</summary>
    public static bool FlipFor(bool attacked, bool flip = false, bool noFlip = false)
    {
        if (flip && noFlip) throw new ConfigException("--flip and --no-flip contradict each other");
        return !noFlip && (flip || !attacked);
    }

    /// <summary>The option combinations `test` refuses, for a single run and a sweep alike.</summary>
    public static void CheckTestOptions(bool anyAttack, bool flip, AttackProtocol protocol, string? source)
    {
        if (!anyAttack && source is not null) throw new ConfigException("--source-checkpoint needs an --attack to transfer");
        if (flip && anyAttack && protocol == AttackProtocol.Legacy) throw new ConfigException("--flip is not part of the legacy protocol (the paper evaluates without flipping)");
    }

    /// <summary>TEST.scales: several make the clean evaluation multi-scale (semseg's averaging).</summary>
    public IReadOnlyList<double> Scales { get; init; } = [1.0];
    public int IgnoreIndex { get; init; } = 255;
    /// <summary>Null: clean evaluation.</summary>
    public IAttack? Attack { get; init; }
    public AttackOptions AttackOptions { get; init; } = new();
    public AttackProtocol Protocol { get; init; } = AttackProtocol.Strong;
    /// <summary>Where metrics.csv, per_class.csv and images go (null: nothing written).</summary>
    public string? SaveDir { get; init; }
    /// <summary>Write colourised predictions (and amplified perturbations of attacked runs) per image.</summary>
    public bool SaveImages { get; init; } = true;
    public string[]? ClassNames { get; init; }
    /// <summary>256 RGB triples for prediction PNGs (the dataset's colours); null: by class count.</summary>
    public byte[]? Palette { get; init; }

    /// <summary>The clean settings a configuration gives (TEST base_size, test_h/test_w, scales; DATA classes, class
    /// names and colours; TRAIN ignore_label); commands add the attack and outputs with `with`.</summary>
    public static EvalSettings From(RunConfig cfg, DataConfig data) => new()
    {
        Classes = cfg.Data.Classes, BaseSize = cfg.Test.BaseSize, CropH = cfg.Test.TestH, CropW = cfg.Test.TestW,
        Scales = cfg.Test.Scales, IgnoreIndex = cfg.Train.IgnoreLabel, SaveDir = cfg.Test.SaveFolder,
        ClassNames = data.ClassNames(), Palette = data.Palette(),
    };
}
