namespace RobustSeg.Config;

/// <summary>Checks the values together after reading and overriding; messages name the key and the file.</summary>
public static class ConfigValidator
{
    public static void Validate(RunConfig c)
    {
        var t = c.Train;
        void Require(bool ok, string key, string what)
        {
            if (!ok) throw new ConfigException($"{c.Source}: {key}: {what}");
        }
        Require(c.Data.Classes >= ModelRules.MinClasses && c.Data.Classes <= ModelRules.MaxClasses, "DATA.classes",
            $"expected {ModelRules.MinClasses}..{ModelRules.MaxClasses}, got {c.Data.Classes}");
        Require(c.Data.LabelFormat.Trim().ToLowerInvariant().Replace("-", "_") is "auto" or "index" or "indices" or "trainids" or "cityscapes_labelids" or "labelids",
            "DATA.label_format", $"expected auto, index or cityscapes_labelids, got '{c.Data.LabelFormat}'");
        Require(ModelRules.Archs.Contains(t.Arch), "TRAIN.arch", $"expected psp or aspp, got '{t.Arch}'");
        Require(ModelRules.SupportedLayers.Contains(t.Layers), "TRAIN.layers", $"expected one of {string.Join(", ", ModelRules.SupportedLayers)}, got {t.Layers}");
        Require(t.Width > 0 && t.Width <= ModelRules.MaxWidth, "TRAIN.width", $"expected a multiplier in (0, {ModelRules.MaxWidth}], got {t.Width}");
        Require(ModelRules.IsValidSide(t.TrainH), "TRAIN.train_h", ModelRules.CheckSide(t.TrainH) ?? "");
        Require(ModelRules.IsValidSide(t.TrainW), "TRAIN.train_w", ModelRules.CheckSide(t.TrainW) ?? "");
        Require(t.ZoomFactor == 8, "TRAIN.zoom_factor", $"only 8 is supported (logits are upsampled to the input size), got {t.ZoomFactor}");
        Require(t.ScaleMin > 0 && t.ScaleMin <= t.ScaleMax, "TRAIN.scale_min", $"need 0 < scale_min <= scale_max, got {t.ScaleMin} and {t.ScaleMax}");
        Require(t.RotateMin <= t.RotateMax, "TRAIN.rotate_min", $"need rotate_min <= rotate_max, got {t.RotateMin} and {t.RotateMax}");
        Require(t.IgnoreLabel is >= 0 and <= 255, "TRAIN.ignore_label", $"expected 0..255, got {t.IgnoreLabel}");
        Require(t.IgnoreLabel >= c.Data.Classes, "TRAIN.ignore_label", $"must not be a class index (classes: {c.Data.Classes}), got {t.IgnoreLabel}");
        Require(t.AuxWeight >= 0, "TRAIN.aux_weight", $"must be >= 0, got {t.AuxWeight}");
        Require(t.Workers >= 0, "TRAIN.workers", $"must be >= 0, got {t.Workers}");
        Require(t.BatchSize >= 1, "TRAIN.batch_size", $"must be >= 1, got {t.BatchSize}");
        Require(t.Regime == Regime.NoDefense || t.BatchSize >= 2, "TRAIN.batch_size",
            $"regime {t.Regime.ToKey()} needs at least 2 (half clean, half adversarial), got {t.BatchSize}");
        Require(t.BatchSizeVal >= 1, "TRAIN.batch_size_val", $"must be >= 1, got {t.BatchSizeVal}");
        Require(t.BaseLr > 0, "TRAIN.base_lr", $"must be > 0, got {t.BaseLr}");
        Require(t.Epochs >= 1, "TRAIN.epochs", $"must be >= 1, got {t.Epochs}");
        Require(t.StartEpoch >= 0 && t.StartEpoch <= t.Epochs, "TRAIN.start_epoch", $"must be in [0, epochs], got {t.StartEpoch}");
        Require(t.Power >= 0, "TRAIN.power", $"must be >= 0, got {t.Power}");
        Require(t.Momentum is >= 0 and < 1, "TRAIN.momentum", $"expected [0, 1), got {t.Momentum}");
        Require(t.WeightDecay >= 0, "TRAIN.weight_decay", $"must be >= 0, got {t.WeightDecay}");
        Require(t.ManualSeed is null or >= 0, "TRAIN.manual_seed", $"must be >= 0, got {t.ManualSeed}");
        Require(t.PrintFreq >= 1, "TRAIN.print_freq", $"must be >= 1, got {t.PrintFreq}");
        Require(t.SaveFreq >= 1, "TRAIN.save_freq", $"must be >= 1, got {t.SaveFreq}");
        Require(t.AttackEps > 0 && t.AttackEps <= 1, "TRAIN.attack_eps", $"expected (0, 1] in [0,1] pixel space, got {t.AttackEps}");
        Require(t.AttackSteps >= 1, "TRAIN.attack_steps", $"must be >= 1, got {t.AttackSteps}");
        Require(t.AttackStep > 0, "TRAIN.attack_alpha", $"must be > 0, got {t.AttackStep}");
        Require(!(t.DdcAt == false && t.Regime == Regime.DdcAt), "TRAIN.ddcat", "regime ddcat needs the DDC-AT heads (ddcat: true or empty)");
        Require(!(t.DdcAt == true && t.Regime != Regime.DdcAt), "TRAIN.ddcat", $"the DDC-AT heads are trained only by regime ddcat, got regime {t.Regime.ToKey()}");
        Require(ModelRules.IsValidSide(c.Test.TestH), "TEST.test_h", ModelRules.CheckSide(c.Test.TestH) ?? "");
        Require(ModelRules.IsValidSide(c.Test.TestW), "TEST.test_w", ModelRules.CheckSide(c.Test.TestW) ?? "");
        Require(c.Test.BaseSize >= 1, "TEST.base_size", $"must be >= 1, got {c.Test.BaseSize}");
        Require(c.Test.TestResize.Length == 0 || (c.Test.TestResize.Length == 2 && c.Test.TestResize.All(v => v > 0)), "TEST.test_resize",
            $"expected [] or [width, height] > 0, got [{string.Join(", ", c.Test.TestResize)}]");
        Require(c.Test.Scales.Length >= 1 && c.Test.Scales.All(s => s > 0), "TEST.scales", "needs at least one scale, all > 0");
        Require(!c.Test.HasPrediction, "TEST.has_prediction", "True is not supported (semseg's re-scoring of saved predictions); use False");
        Require(c.Test.IndexStart >= 0, "TEST.index_start", $"must be >= 0, got {c.Test.IndexStart}");
        Require(c.Test.IndexStep >= 0, "TEST.index_step", $"must be >= 0 (0: to the end of the list), got {c.Test.IndexStep}");
        Require(c.Test.Split is "train" or "val" or "test", "TEST.split", $"expected train, val or test, got '{c.Test.Split}'");
    }
}
