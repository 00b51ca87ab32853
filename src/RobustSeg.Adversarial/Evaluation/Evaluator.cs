using System.Diagnostics;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation.Protocols;
using RobustSeg.Adversarial.Evaluation.Sinks;
using RobustSeg.Adversarial.Metrics;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>semseg's test loop: per image, the protocol (clean, multi-scale, legacy or strong attack; see
/// Protocols/) gives class probabilities at the label size, the argmax is accumulated into the metrics and handed
/// to the output sinks (Sinks/). Black-box runs craft on <c>source</c> and evaluate <c>target</c>.</summary>
public sealed class Evaluator(Device device, SegForward target, SegForward? source = null)
{
    public Device Device { get; } = device;
    public SegForward Target { get; } = target;
    public SegForward? Source { get; } = source;
    /// <summary>Progress lines (with ETA) go here; stderr by default.</summary>
    public TextWriter Log { get; init; } = Console.Error;
    /// <summary>A sharded evaluation's processes (each given its own samples, <see cref="DatasetSamples.Enumerate"/>):
    /// the integer counts are summed over ranks, so the scores equal one process's exactly; per-image outputs
    /// (sinks' Add) happen on the rank that owns the image, Finish (metrics, tables) on rank 0 alone with the
    /// global scores. Progress lines come from rank 0 (its shard).</summary>
    public Distributed.IProcessGroup Group { get; init; } = Distributed.SingleProcessGroup.Instance;

    /// <summary>Evaluates the samples with the protocol the settings ask for (<see cref="EvalProtocols.For"/>)
    /// and writes to the sinks they ask for (<see cref="EvalSinks.For"/>) plus <paramref name="extraSinks"/>.</summary>
    public SegScores Run(IEnumerable<EvalSample> samples, EvalSettings s, int? limit = null, int? expectedCount = null,
        IEnumerable<IEvalSink>? extraSinks = null) =>
        Run(samples, s, EvalProtocols.For(s), EvalSinks.For(s).Concat(extraSinks ?? []).ToList(), limit, expectedCount);

    /// <summary>The (H*W) prediction of one sample under the settings' protocol (no sinks).</summary>
    public int[] Predict(EvalSample sample, EvalSettings s, int index = 0)
    {
        using var sw = new SlidingWindow(s.CropH, s.CropW, s.Classes, s.Mean255);
        using var scope = Tensor.Scope();
        var r = EvalProtocols.For(s).Predict(new EvalContext(Device, Target, Source ?? Target, sw, s), sample, index);
        return HostImageOps.Argmax(r.Probabilities, s.Classes, sample.Height, sample.Width);
    }

    public SegScores Run(IEnumerable<EvalSample> samples, EvalSettings s, IEvalProtocol protocol, IReadOnlyList<IEvalSink> sinks,
        int? limit = null, int? expectedCount = null) =>
        RunAll(samples, [new EvalJob(Target, s, protocol, sinks)], limit, expectedCount)[0].Scores;

    /// <summary>Several evaluations over one pass of the samples (a robustness sweep: checkpoints x attacks x radii):
    /// each sample is decoded once and handed to every job in order; progress and ETA count whole samples, so they
    /// cover the whole sweep. Attacks are crafted on <see cref="Source"/> when set (black-box), else on each job's target.</summary>
    public IReadOnlyList<(SegScores Scores, int Images)> RunAll(IEnumerable<EvalSample> samples, IReadOnlyList<EvalJob> jobs,
        int? limit = null, int? expectedCount = null)
    {
        var windows = new List<SlidingWindow>();
        try
        {
            var runs = jobs.Select(j =>
            {
                var sw = new SlidingWindow(j.Settings.CropH, j.Settings.CropW, j.Settings.Classes, j.Settings.Mean255);
                windows.Add(sw);
                return (Job: j, Ctx: new EvalContext(Device, j.Target, Source ?? j.Target, sw, j.Settings),
                        Acc: new SegMetricAccumulator(j.Settings.Classes, j.Settings.IgnoreIndex));
            }).ToList();
            var timer = Stopwatch.StartNew();
            int i = 0, total = limit is int l ? Math.Min(l, expectedCount ?? l) : expectedCount ?? 0;
            if (Group.WorldSize > 1) total = Distributed.BatchShard.OwnedCount(total, Group.Rank, Group.WorldSize);
            var log = Group.Rank == 0 ? Log : TextWriter.Null;
            string per = jobs.Count > 1 ? $" ({jobs.Count} evaluations)" : "";
            foreach (var sample in samples)
            {
                if (limit is int lim && i >= lim) break;
                sample.Validate();
                // A shard's samples carry their index in the whole list (attack seeds, output names).
                int index = sample.Index >= 0 ? sample.Index : i;
                foreach (var (job, ctx, acc) in runs)
                {
                    int[] pred;
                    using (Tensor.Scope())
                    {
                        var r = job.Protocol.Predict(ctx, sample, index);
                        pred = HostImageOps.Argmax(r.Probabilities, job.Settings.Classes, sample.Height, sample.Width);
                        foreach (var sink in job.Sinks) sink.Add(sample, index, pred, r);
                    }
                    acc.Add(pred, sample.Label, sample.LabelPath);
                }
                i++;
                var el = timer.Elapsed.TotalSeconds;
                var eta = total > 0 ? $", eta {TimeSpan.FromSeconds(el / i * (total - i)):hh\\:mm\\:ss}" : "";
                log.WriteLine($"[{i}{(total > 0 ? "/" + total : "")}] {sample.Name}: {el / i:F2} s/image{per}{eta}");
            }
            int images = i;
            if (Group.WorldSize > 1)
            {
                Span<long> n = [i];
                Group.AllReduceSum(n);
                images = (int)n[0];
            }
            var results = new List<(SegScores, int)>();
            foreach (var (job, _, acc) in runs)
            {
                // Integer counts summed over ranks: the scores equal one process's exactly.
                if (Group.WorldSize > 1)
                    foreach (var a in new[] { acc.Intersection, acc.Union, acc.Target, acc.Output }) Group.AllReduceSum(a.AsSpan());
                var scores = acc.Compute();
                if (Group.Rank == 0) foreach (var sink in job.Sinks) sink.Finish(scores, images);
                results.Add((scores, images));
            }
            return results;
        }
        finally { foreach (var w in windows) w.Dispose(); }
    }
}

/// <summary>One evaluation of a sweep: the model scored, its settings (attack, radius, outputs), protocol and sinks.</summary>
public sealed record EvalJob(SegForward Target, EvalSettings Settings, IEvalProtocol Protocol, IReadOnlyList<IEvalSink> Sinks)
{
    /// <summary>The job a settings record asks for: its protocol and sinks, plus <paramref name="extraSinks"/>.</summary>
    public static EvalJob For(SegForward target, EvalSettings s, IEnumerable<IEvalSink>? extraSinks = null) =>
        new(target, s, EvalProtocols.For(s), EvalSinks.For(s).Concat(extraSinks ?? []).ToList());
}
