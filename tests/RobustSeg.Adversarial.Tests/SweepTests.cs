using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Adversarial.Evaluation.Sweep;

namespace RobustSeg.Adversarial.Tests;

public class SweepTests
{
    // The evaluator tests' toy model and samples (labels = the model's own predictions), and a second model.
    static readonly ToySegModel Model = EvaluatorTests.Model;
    static readonly ToySegModel Other = new(classes: 4, hidden: 8, seed: 9);
    static List<EvalSample> Samples(int count) => EvaluatorTests.Samples(count);

    static EvalSettings Settings(IAttack? attack, float eps) => new()
    {
        Classes = 4, BaseSize = 11, CropH = 9, CropW = 7, Attack = attack, Flip = attack is null,
        AttackOptions = new AttackOptions { Eps = eps, Alpha = eps / 4, Steps = 3, RandomStart = true, Seed = 3 },
    };

    [Test]
    public void OnePassOverTheDataGivesTheScoresOfSeparateRuns()
    {
        // A sweep hands each sample to every job in turn; the scores must equal running each job on its own.
        var ev = new Evaluator(Device.Cpu, Model.Forward) { Log = TextWriter.Null };
        var jobs = new[]
        {
            EvalJob.For(Model.Forward, Settings(null, 0)),
            EvalJob.For(Model.Forward, Settings(new Pgd(), 4f / 255)),
            EvalJob.For(Other.Forward, Settings(new SegPgd(), 8f / 255)),
            EvalJob.For(Model.Forward, Settings(new Pgd(), 16f / 255)),
        };
        var log = new StringWriter();
        var all = new Evaluator(Device.Cpu, Model.Forward) { Log = log }.RunAll(Samples(3), jobs, expectedCount: 3);
        for (int j = 0; j < jobs.Length; j++)
        {
            var alone = new Evaluator(Device.Cpu, jobs[j].Target) { Log = TextWriter.Null }.Run(Samples(3), jobs[j].Settings);
            Assert.That(all[j].Scores.MeanIoU, Is.EqualTo(alone.MeanIoU), $"job {j}");
            Assert.That(all[j].Scores.Intersection, Is.EqualTo(alone.Intersection), $"job {j}");
            Assert.That(all[j].Images, Is.EqualTo(3));
        }
        // The attacks hurt more with the radius (the toy model is not robust), so the numbers are not all equal.
        Assert.That(all[3].Scores.MeanIoU, Is.LessThan(all[0].Scores.MeanIoU));
        Assert.That(log.ToString(), Does.Contain("[3/3] img2.jpg").And.Contain("(4 evaluations), eta 00:00:00"));
    }

    [Test]
    public void EpsListsReadAsOneUnit()
    {
        float P(string s) => AttackOptions.ParseMagnitude(s);
        Assert.That(EpsList.Parse("0,2,4,8/255").Select(P), Is.EqualTo(new[] { 0f, 2f / 255, 4f / 255, 8f / 255 }));
        Assert.That(EpsList.Parse("0.01, 0.03").Select(P), Is.EqualTo(new[] { 0.01f, 0.03f }));
        Assert.That(EpsList.Parse("2/255,4/255,4").Select(P), Is.EqualTo(new[] { 2f / 255, 4f / 255 }), "4 is 4/255 already: duplicate dropped");
        Assert.That(EpsList.Parse("8/255").Select(P), Is.EqualTo(new[] { 8f / 255 }));
        Assert.That(() => EpsList.Parse("2,,4"), Throws.InstanceOf<UserInputException>().With.Message.Contains("empty entry"));
        Assert.That(() => EpsList.Parse("2,x/255"), Throws.InstanceOf<UserInputException>().With.Message.Contains("cannot read 'x/255'"));
    }

    [Test]
    public void CheckpointLabels()
    {
        Assert.That(CheckpointSpec.Parse("sat=runs/a.safetensors"), Is.EqualTo(new CheckpointSpec("sat", "runs/a.safetensors")));
        Assert.That(CheckpointSpec.Parse("runs/train_epoch_50.safetensors"), Is.EqualTo(new CheckpointSpec("train_epoch_50", "runs/train_epoch_50.safetensors")));
        Assert.That(CheckpointSpec.Parse("runs/x=1/m.pth"), Is.EqualTo(new CheckpointSpec("m", "runs/x=1/m.pth")), "a '=' inside the path is not a label");
        Assert.That(() => CheckpointSpec.Parse("a b=m.pth"), Throws.InstanceOf<UserInputException>().With.Message.Contains("label 'a b'"));
        Assert.That(() => CheckpointSpec.ParseAll(["a/m.pth", "b/m.pth"]), Throws.InstanceOf<UserInputException>().With.Message.Contains("label 'm' is used by a/m.pth and b/m.pth"));
    }

    [Test]
    public void PlanEvaluatesCleanOnceThenEachAttackAboveZero()
    {
        var clean = Settings(null, 0);
        var runs = SweepRun.Plan(["a", "b"], ["pgd", "none", "segpgd"], ["0", "2", "4/255"],
            (name, eps) => AttackSetup.Create(name, AttackProtocol.Strong, eps, steps: 2), clean, clean with { Flip = false }, "/out");
        Assert.That(runs.Select(r => $"{r.Checkpoint}/{r.Key}"), Is.EqualTo(new[]
        {
            "a/clean", "a/pgd_eps2", "a/pgd_eps4", "a/segpgd_eps2", "a/segpgd_eps4",
            "b/clean", "b/pgd_eps2", "b/pgd_eps4", "b/segpgd_eps2", "b/segpgd_eps4",
        }));
        Assert.That(runs[0].Settings.Flip && !runs[1].Settings.Flip, "flip for the clean runs only, as `test`");
        Assert.That(runs[8].Settings.SaveDir, Is.EqualTo(Path.Combine("/out", "b", "segpgd_eps2")));
        Assert.That(runs[2].Steps, Is.EqualTo(2));
    }

    [Test]
    public void RobustnessSeriesStartAtTheCleanScore()
    {
        RobustnessRow R(string ck, string a, double e255, double miou) => new(ck, a, "", e255 / 255, e255, 1, 2, miou, 0, 0);
        var s = RobustnessResults.Series([R("a", "none", 0, 0.9), R("a", "pgd", 4, 0.5), R("a", "pgd", 2, 0.7), R("a", "bim", 2, 0.8), R("b", "none", 0, 0.6), R("b", "pgd", 2, 0.3)]);
        Assert.That(s.Select(x => x.Label), Is.EqualTo(new[] { "a · pgd", "a · bim", "b · pgd" }));
        Assert.That(s[0].X, Is.EqualTo(new[] { 0.0, 2, 4 }));
        Assert.That(s[0].Y, Is.EqualTo(new[] { 0.9, 0.7, 0.5 }));
        Assert.That(s[2].Y, Is.EqualTo(new[] { 0.6, 0.3 }));
    }
}

/// <summary>reproduce's robustness.png draws one line per regime and attack: the seeds' rows averaged.</summary>
public class ReproducePlotRowsTests
{
    [Test]
    public void MeansOverSeedsAverageEachModelAttackAndRadius()
    {
        RobustnessRow Row(string ck, string attack, double eps, double miou) => new(ck, attack, "", eps, eps * 255, 0, 4, miou, miou, miou);
        var rows = new[]
        {
            Row("psp_sat_seed1", "none", 0, 0.8), Row("psp_sat_seed2", "none", 0, 0.6),
            Row("psp_sat_seed1", "pgd (strong)", 8 / 255.0, 0.5), Row("psp_sat_seed2", "pgd (strong)", 8 / 255.0, 0.3),
            Row("single", "none", 0, 0.9),
        };
        var means = RobustSeg.Adversarial.Reproduce.ReproduceHtml.MeansOverSeeds(rows);
        Assert.That(means, Has.Count.EqualTo(3));
        Assert.That(means[0].Checkpoint, Is.EqualTo("psp_sat (mean of 2 seeds)"));
        Assert.That(means[0].MIoU, Is.EqualTo(0.7).Within(1e-12));
        Assert.That(means[1].MIoU, Is.EqualTo(0.4).Within(1e-12));
        Assert.That(means[2].Checkpoint, Is.EqualTo("single"));
        Assert.That(RobustnessResults.Series(means), Has.Count.EqualTo(2), "the clean-only model is one point, the sat model one line");
    }
}
