using System.Diagnostics;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Metrics;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>semseg's test loop with attacks: per image, resize the long side to base_size (OpenCV-style
/// bilinear), optionally craft an adversarial version (legacy: per window; strong: whole image through
/// the sliding-window inference), run the sliding-window inference of the target model (plus its
/// mirror when flipping), resize the probabilities to the label size, and accumulate the metrics.
/// Black-box runs craft on <c>source</c> and evaluate <c>target</c>.</summary>
public sealed class Evaluator(Device device, SegForward target, SegForward? source = null)
{
    public Device Device { get; } = device;
    public SegForward Target { get; } = target;
    public SegForward? Source { get; } = source;
    /// <summary>Progress lines (with ETA) go here; stderr by default.</summary>
    public TextWriter Log { get; init; } = Console.Error;

    public SegScores Run(IEnumerable<EvalSample> samples, EvalSettings s, int? limit = null, int? expectedCount = null)
    {
        var acc = new SegMetricAccumulator(s.Classes, s.IgnoreIndex);
        using var sw = new SlidingWindow(s.CropH, s.CropW, s.Classes, s.Mean255);
        var timer = Stopwatch.StartNew();
        int i = 0, total = limit is int l ? Math.Min(l, expectedCount ?? l) : expectedCount ?? 0;
        foreach (var sample in samples)
        {
            if (limit is int lim && i >= lim) break;
            sample.Validate();
            var pred = PredictOne(sample, s, sw, i);
            acc.Add(pred, sample.Label);
            i++;
            var el = timer.Elapsed.TotalSeconds;
            var eta = total > 0 ? $", eta {TimeSpan.FromSeconds(el / i * (total - i)):hh\\:mm\\:ss}" : "";
            Log.WriteLine($"[{i}{(total > 0 ? "/" + total : "")}] {sample.Name}: {el / i:F2} s/image{eta}");
        }
        var scores = acc.Compute();
        if (s.SaveDir is not null) EvalReport.WriteCsv(s.SaveDir, scores, s, i);
        return scores;
    }

    /// <summary>The (H*W) prediction of one sample (and its images in the save dir).</summary>
    public int[] PredictOne(EvalSample sample, EvalSettings s, SlidingWindow sw, int index)
    {
        using var scope = Tensor.Scope();
        var (nh, nw) = HostImageOps.LongSideSize(sample.Height, sample.Width, s.BaseSize);
        var resized = HostImageOps.ResizeBilinear(sample.Image01, 3, sample.Height, sample.Width, nh, nw);
        var image = Tensor.FromArray(Device, resized, 1, 3, nh, nw);
        var labelR = HostImageOps.ResizeNearest(sample.Label, sample.Height, sample.Width, nh, nw);
        var opts = s.AttackOptions with { Seed = s.AttackOptions.Seed + (ulong)index, IgnoreIndex = s.IgnoreIndex };
        var craft = Source ?? Target;

        float[] probs;
        float[]? adv = null;
        if (s.Attack is null)
            probs = Infer(image, s, sw, null);
        else if (s.Protocol == AttackProtocol.Strong)
        {
            var labT = Tensor.FromArray(Device, labelR, 1, nh, nw);
            var whole = sw.AsModel(craft);
            var advT = s.Attack.Perturb(whole, image, labT, new AttackContext(opts));
            adv = advT.ToArray();
            probs = Infer(advT, s, sw, null);
        }
        else
        {
            // Legacy: each padded window gets its own attack against its own label window.
            var (pt, pl, H, W) = sw.Padding(nh, nw);
            var padLabel = new int[H * W];
            Array.Fill(padLabel, s.IgnoreIndex);
            for (int y = 0; y < nh; y++) Array.Copy(labelR, y * nw, padLabel, (y + pt) * W + pl, nw);
            var advPadded = new float[3 * H * W];
            Tensor Transform(Tensor crop, int wi, (int Top, int Left) at)
            {
                var lab = new int[s.CropH * s.CropW];
                for (int y = 0; y < s.CropH; y++) Array.Copy(padLabel, (at.Top + y) * W + at.Left, lab, y * s.CropW, s.CropW);
                var labT = Tensor.FromArray(Device, lab, 1, s.CropH, s.CropW);
                var ctx = new AttackContext(opts with { Seed = opts.Seed * 1000003UL + (ulong)wi });
                var a = s.Attack!.Perturb(craft, crop.Detach(), labT, ctx);
                if (s.SaveDir is null || !s.SaveImages) return a;
                var ah = a.ToArray();
                for (int c = 0; c < 3; c++) for (int y = 0; y < s.CropH; y++)
                    Array.Copy(ah, (c * s.CropH + y) * s.CropW, advPadded, (c * H + at.Top + y) * W + at.Left, s.CropW);
                return a;
            }
            probs = Infer(image, s with { Flip = false }, sw, Transform);
            // For the perturbation image: the last window written wins where windows overlap.
            adv = new float[3 * nh * nw];
            for (int c = 0; c < 3; c++) for (int y = 0; y < nh; y++)
                Array.Copy(advPadded, (c * H + y + pt) * W + pl, adv, (c * nh + y) * nw, nw);
        }
        var full = HostImageOps.ResizeBilinear(probs, s.Classes, nh, nw, sample.Height, sample.Width);
        var pred = HostImageOps.Argmax(full, s.Classes, sample.Height, sample.Width);
        if (s.SaveDir is not null && s.SaveImages)
        {
            var stem = Sanitize(sample.Name);
            using (var img = Palette.Colourise(pred, sample.Height, sample.Width, Palette.ForClasses(s.Classes)))
                ImageFiles.SavePng(img, Path.Combine(s.SaveDir, "pred", stem + ".png"));
            if (adv is not null)
                using (var img = ImageFiles.Perturbation(adv, resized, nh, nw, opts.Eps))
                    ImageFiles.SavePng(img, Path.Combine(s.SaveDir, "perturbation", stem + ".png"));
        }
        return pred;
    }

    /// <summary>Averaged probabilities (K,h,w) on the host; with flip, averaged with the mirror's. The
    /// target runs without a tape; a window transform (the legacy per-window attack) records its own.</summary>
    float[] Infer(Tensor image, EvalSettings s, SlidingWindow sw, Func<Tensor, int, (int Top, int Left), Tensor>? transform)
    {
        int h = image.Size(2), w = image.Size(3);
        SegForward targetNoGrad = x => { using (Autograd.NoGrad()) return Target(x); };
        float[] p;
        using (Tensor.Scope())
            p = sw.Probabilities(targetNoGrad, image, transform is null ? null : (c, i, at) => transform(c, i, at).Detach()).ToArray();
        if (!s.Flip) return p;
        var flipped = HostImageOps.FlipW(image.ToArray(), 3, h, w);
        float[] q;
        using (Tensor.Scope())
            q = sw.Probabilities(targetNoGrad, Tensor.FromArray(Device, flipped, 1, 3, h, w)).ToArray();
        q = HostImageOps.FlipW(q, s.Classes, h, w);
        for (int i = 0; i < p.Length; i++) p[i] = 0.5f * (p[i] + q[i]);
        return p;
    }

    static string Sanitize(string name)
    {
        var stem = Path.GetFileNameWithoutExtension(name);
        foreach (var c in Path.GetInvalidFileNameChars()) stem = stem.Replace(c, '_');
        return stem.Length == 0 ? "image" : stem;
    }
}
