namespace RobustSeg.Config;

/// <summary>TRAIN: semseg's keys plus the regime, the model size and the training attack.</summary>
public sealed class TrainSection
{
    [ConfigKey("arch", "psp (PSPNet) or aspp (DeepLabV3)")] public string Arch { get; set; } = "psp";
    [ConfigKey("layers", "ResNet depth: 18, 34 (basic blocks), 50, 101 (bottlenecks)")] public int Layers { get; set; } = 50;
    [ConfigKey("width", "channel width multiplier of the backbone and heads (1 = the original)")] public double Width { get; set; } = 1.0;
    [ConfigKey("sync_bn")] public bool SyncBn { get; set; }
    [ConfigKey("train_h")] public int TrainH { get; set; } = 473;
    [ConfigKey("train_w")] public int TrainW { get; set; } = 473;
    [ConfigKey("scale_min")] public double ScaleMin { get; set; } = 0.5;
    [ConfigKey("scale_max")] public double ScaleMax { get; set; } = 2.0;
    [ConfigKey("rotate_min")] public double RotateMin { get; set; } = -10;
    [ConfigKey("rotate_max")] public double RotateMax { get; set; } = 10;
    [ConfigKey("zoom_factor")] public int ZoomFactor { get; set; } = 8;
    [ConfigKey("ignore_label")] public int IgnoreLabel { get; set; } = 255;
    [ConfigKey("aux_weight")] public double AuxWeight { get; set; } = 0.4;
    [ConfigKey("train_gpu", "kept for the original configs; the device is chosen with --device")] public int[] TrainGpu { get; set; } = [0];
    [ConfigKey("workers", "background loader workers")] public int Workers { get; set; } = 2;
    [ConfigKey("batch_size")] public int BatchSize { get; set; } = 16;
    [ConfigKey("batch_size_val")] public int BatchSizeVal { get; set; } = 8;
    [ConfigKey("base_lr")] public double BaseLr { get; set; } = 0.01;
    [ConfigKey("epochs")] public int Epochs { get; set; } = 50;
    [ConfigKey("start_epoch")] public int StartEpoch { get; set; }
    [ConfigKey("power")] public double Power { get; set; } = 0.9;
    [ConfigKey("momentum")] public double Momentum { get; set; } = 0.9;
    [ConfigKey("weight_decay")] public double WeightDecay { get; set; } = 1e-4;
    [ConfigKey("manual_seed", "empty: seed 0 (this implementation is always seeded)")] public int? ManualSeed { get; set; }
    [ConfigKey("print_freq")] public int PrintFreq { get; set; } = 10;
    [ConfigKey("save_freq")] public int SaveFreq { get; set; } = 1;
    [ConfigKey("save_path")] public string SavePath { get; set; } = "exp/model";
    [ConfigKey("weight", "initial weights: .safetensors or .pth", InputPath = true)] public string? Weight { get; set; }
    [ConfigKey("backbone_weights", "ImageNet ResNet for layer0..layer4 when weight is empty (the original's initmodel/resnet*_v2.pth): .pth or .safetensors; empty: from scratch", InputPath = true)] public string? BackboneWeights { get; set; }
    [ConfigKey("resume", "checkpoint to continue from", InputPath = true)] public string? Resume { get; set; }
    [ConfigKey("evaluate")] public bool Evaluate { get; set; }

    [ConfigKey("regime", "nodefense, sat or ddcat")] public Regime Regime { get; set; } = Regime.NoDefense;
    [ConfigKey("ddcat", "model with the DDC-AT heads (cls1, cls2, mask1, aux_cls1); empty: regime == ddcat")] public bool? DdcAt { get; set; }
    [ConfigKey("attack_eps", "training attack: L-inf radius in [0,1] pixel space")] public double AttackEps { get; set; } = 0.03;
    [ConfigKey("attack_steps", "training attack: BIM steps")] public int AttackSteps { get; set; } = 3;
    [ConfigKey("attack_alpha", "training attack: step size; empty: eps / steps")] public double? AttackAlpha { get; set; }

    /// <summary>Whether the model carries the DDC-AT heads.</summary>
    public bool UsesDdcAtHeads => DdcAt ?? Regime == Regime.DdcAt;

    /// <summary>The attack step; the original uses eps / steps.</summary>
    public double AttackStep => AttackAlpha ?? AttackEps / AttackSteps;

    /// <summary>The seed used everywhere (model init, loader order, augmentation, dropout).</summary>
    public int Seed => ManualSeed ?? 0;
}
