using RobustSeg.Data;

namespace RobustSeg.Adversarial.Reproduce;

/// <summary>Settings of `robustseg reproduce`: the paper's table in miniature on the synthetic dataset.</summary>
public sealed record ReproduceOptions
{
    public string WorkDir { get; init; } = Path.Combine("runs", "reproduce");
    /// <summary>psp, aspp or both.</summary>
    public string[] Archs { get; init; } = ["psp"];
    public string Device { get; init; } = "cpu";
    /// <summary>Which regimes to train (default all three).</summary>
    public string[] Regimes { get; init; } = ["nodefense", "sat", "ddcat"];
    /// <summary>Config overrides applied to every regime (`key=value`).</summary>
    public string[] Overrides { get; init; } = [];
    /// <summary>A much smaller run for smoke tests (tiny data, one epoch, few attack steps).</summary>
    public bool Quick { get; init; }
    /// <summary>Also run the APGD-based ensemble (worst case per image).</summary>
    public bool StrongAll { get; init; }
    /// <summary>Training epochs (null: the synthetic configs' value, or 1 with Quick).</summary>
    public int? Epochs { get; init; }
    /// <summary>Strong attack: eps in /255 units and PGD steps.</summary>
    public float StrongEps255 { get; init; } = 8f;
    public int StrongSteps { get; init; } = 20;
    /// <summary>The data seed, and the first training/attack seed.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Train and evaluate every regime with seeds Seed, Seed+1, ..., Seed+Seeds-1 (same data, same budget);
    /// the table reports the mean and spread.</summary>
    public int Seeds { get; init; } = 3;
    /// <summary>The synthetic dataset of a full run (its seed is <see cref="Seed"/>). 400 training images: the same
    /// iteration budget generalises better than 200 images seen twice as often.</summary>
    public SyntheticOptions Data { get; init; } = new() { Train = 400, Val = 50 };
    /// <summary>Regenerate the data and retrain even when results exist.</summary>
    public bool Force { get; init; }
    public TextWriter Progress { get; init; } = Console.Error;
    /// <summary>The command line, shown in report.html.</summary>
    public string Command { get; init; } = "robustseg reproduce";
    /// <summary>Under mpirun: every training is data-parallel and every evaluation sharded over these processes;
    /// rank 0 generates the data and writes the results (give the other ranks a silent Progress).</summary>
    public Distributed.IProcessGroup? Group { get; init; }
}
