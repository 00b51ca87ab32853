using System.Globalization;
using RobustSeg.Adversarial.Attacks;

namespace RobustSeg.Adversarial.Evaluation.Sweep;

/// <summary>One evaluation of a sweep: a checkpoint (by label), clean or one attack at one radius, with its settings
/// (whose SaveDir is the run's own folder).</summary>
public sealed record SweepRun(string Checkpoint, string AttackName, EvalSettings Settings)
{
    public bool Clean => Settings.Attack is null;
    public float Eps => Clean ? 0 : Settings.AttackOptions.Eps;
    public int Steps => Clean ? 0 : Settings.AttackOptions.Steps;
    public string Eps255 => (Eps * 255).ToString("0.##", CultureInfo.InvariantCulture);
    /// <summary>Folder and file key: clean, or ATTACK_epsK (K in 1/255).</summary>
    public string Key => Clean ? "clean" : $"{AttackName}_eps{Eps255}";
    public string Title => Clean ? "clean" : $"{AttackName} eps {Eps255}/255";

    /// <summary>Every run of a sweep, per checkpoint: clean first (the eps-0 point of every line, evaluated once),
    /// then each attack at each radius above 0, in the order given. <paramref name="create"/> turns an attack name and
    /// an --eps entry into the attack and its options (the protocol's defaults for the rest).</summary>
    public static List<SweepRun> Plan(IReadOnlyList<string> checkpoints, IReadOnlyList<string> attacks, IReadOnlyList<string?> eps,
        Func<string, string?, (IAttack? Attack, AttackOptions Options)> create, EvalSettings clean, EvalSettings attacked, string saveDir)
    {
        var runs = new List<SweepRun>();
        foreach (var ckpt in checkpoints)
        {
            runs.Add(new SweepRun(ckpt, "none", clean with { Attack = null, SaveDir = Path.Combine(saveDir, ckpt, "clean") }));
            foreach (var a in attacks)
                foreach (var e in eps)
                {
                    var (atk, opts) = create(a, e);
                    if (atk is null || opts.Eps == 0) continue;
                    var s = attacked with { Attack = atk, AttackOptions = opts };
                    var run = new SweepRun(ckpt, atk.Name, s);
                    runs.Add(run with { Settings = s with { SaveDir = Path.Combine(saveDir, ckpt, run.Key) } });
                }
        }
        return runs;
    }
}
