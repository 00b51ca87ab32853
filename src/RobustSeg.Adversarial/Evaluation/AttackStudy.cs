using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation.Protocols;
using RobustSeg.Engine;
using RobustSeg.Engine.IO;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>The `robustseg attack` study tool: one image through the same protocols `test` runs (clean, then the
/// settings' attack protocol: strong or legacy), recording every attack step. Writes the adversarial image, the
/// amplified perturbation, the input-gradient magnitude of the first step, the predictions before and after,
/// steps.csv with its plot steps.png, overview.png (all pictures side by side) and optionally .npy arrays for other tools.</summary>
public sealed class AttackStudy
{
    public required Device Device { get; init; }
    /// <summary>The model as a function of [0,1] windows (attacks are crafted and evaluated on it).</summary>
    public required SegForward Model { get; init; }
    /// <summary>The run's settings; <see cref="EvalSettings.Attack"/> must be set. The study keeps the image's own size:
    /// <see cref="EvalSettings.BaseSize"/> is replaced by its long side.</summary>
    public required EvalSettings Settings { get; init; }
    /// <summary>Per-channel normalisation std in 0..255 units: d/d(normalised) = d/d(x01) * std / 255.</summary>
    public float[] Std255 { get; init; } = ImageNet.Std255;
    public bool SaveNpy { get; init; }

    sealed record StepRow(string Attack, int Restart, int Step, double Loss, double FlippedFraction,
        double GradL1, double GradL2, double PerturbationLinf, double PerturbationL2);

    /// <summary>Accuracies against the target labels; the (H*W) clean and adversarial predictions.</summary>
    public sealed record Result(double CleanAccuracy, double AdvAccuracy, int Steps, string OutDir, int[] CleanPrediction, int[] AdvPrediction);

    /// <summary>image01: planar (3,H,W) in [0,1]; label (H*W) or null (then the clean prediction is the label,
    /// so the attack moves the model away from its own answer).</summary>
    public Result Run(float[] image01, int h, int w, int[]? label, string outDir)
    {
        if (Settings.Attack is null) throw new ArgumentException("attack study: the settings name no attack");
        if (image01.Length != 3L * h * w) throw new ArgumentException($"attack study takes one (3,{h},{w}) image, got {image01.Length} values");
        Directory.CreateDirectory(outDir);
        int k = Settings.Classes;
        // No flip: the clean prediction is compared with the attacked one, which the paper evaluates without flip.
        var s = Settings with { BaseSize = Math.Max(h, w), Flip = false, SaveDir = outDir, SaveImages = true };
        var rows = new List<StepRow>();
        float[]? grad0 = null;
        int[] gradShape = [];
        void OnStep(AttackStepInfo i)
        {
            rows.Add(new StepRow(i.Attack, i.Restart, i.Step, i.Loss, i.FlippedFraction, i.GradL1, i.GradL2, i.PerturbationLinf, i.PerturbationL2));
            if (grad0 is null) { grad0 = i.Gradient.ToArray(); gradShape = i.Gradient.Shape; }
        }
        using var window = new SlidingWindow(s.CropH, s.CropW, k, s.Mean255);
        using var scope = Tensor.Scope();
        var ctx = new EvalContext(Device, Model, Model, window, s) { OnStep = OnStep };

        var probsClean = new CleanProtocol().Predict(ctx, new EvalSample("study", image01, h, w, label ?? new int[h * w]), 0).Probabilities;
        var predClean = HostImageOps.Argmax(probsClean, k, h, w);
        var labels = label ?? predClean;
        var r = EvalProtocols.For(s).Predict(ctx, new EvalSample("study", image01, h, w, labels), 0);
        var predAdv = HostImageOps.Argmax(r.Probabilities, k, h, w);
        var adv = r.Adversarial ?? throw new InvalidOperationException("attack protocol returned no adversarial image");
        if (r.H != h || r.W != w) throw new InvalidOperationException($"attack protocol worked at {r.H}x{r.W}, expected the image's {h}x{w}");

        var palette = Sinks.EvalSinks.PaletteOf(s);
        using (var img = ImageFiles.FromPlanar01(adv, h, w)) ImageFiles.SavePng(img, Path.Combine(outDir, "adv.png"));
        using (var img = ImageFiles.Perturbation(adv, image01, h, w, s.AttackOptions.Eps)) ImageFiles.SavePng(img, Path.Combine(outDir, "perturbation.png"));
        using (var img = Palette.Colourise(predClean, h, w, palette)) ImageFiles.SavePng(img, Path.Combine(outDir, "pred_clean.png"));
        using (var img = Palette.Colourise(predAdv, h, w, palette)) ImageFiles.SavePng(img, Path.Combine(outDir, "pred_adv.png"));
        float[]? mag = null;
        if (grad0 is not null)
        {
            // The first step's gradient: the whole image (strong) or the first window (legacy).
            int gh = gradShape[^2], gw = gradShape[^1], plane = gh * gw;
            mag = new float[plane];
            for (int c = 0; c < 3; c++) for (int p = 0; p < plane; p++) mag[p] += Math.Abs(grad0[c * plane + p]);
            using var img = ImageFiles.Magnitude(mag, gh, gw);
            ImageFiles.SavePng(img, Path.Combine(outDir, "grad_magnitude.png"));
        }
        EvalReport.Write(Path.Combine(outDir, "steps.csv"), rows);
        double accClean = PixelAcc(predClean, labels, s.IgnoreIndex), accAdv = PixelAcc(predAdv, labels, s.IgnoreIndex);
        var title = $"{Settings.Attack.Name} eps {s.AttackOptions.Eps * 255:0.##}/255";
        StudyFigures.Steps(Path.Combine(outDir, "steps.png"), rows.Select(r => (r.Attack, r.Restart, r.Step, r.Loss, r.FlippedFraction, r.PerturbationLinf, r.PerturbationL2)).ToList(), title);
        StudyFigures.Overview(Path.Combine(outDir, "overview.png"), image01, adv, h, w, s.AttackOptions.Eps, mag, gradShape, predClean, predAdv, palette, accClean, accAdv, title);

        if (SaveNpy)
        {
            int plane = h * w;
            var norm = new float[image01.Length];
            for (int c = 0; c < 3; c++) for (int p = 0; p < plane; p++)
                norm[c * plane + p] = (image01[c * plane + p] * 255f - s.Mean255[c]) / Std255[c];
            Npy.Write(Path.Combine(outDir, "input.npy"), norm, [1, 3, h, w]);
            Npy.Write(Path.Combine(outDir, "probs_clean.npy"), probsClean, [1, k, h, w]);
            if (grad0 is not null)
            {
                // x01 = (xn * std + mean) / 255, so dL/dxn = dL/dx01 * std / 255.
                int gp = gradShape[^2] * gradShape[^1];
                var gn = new float[grad0.Length];
                for (int i = 0; i < gn.Length; i++) gn[i] = grad0[i] * Std255[i / gp % 3] / 255f;
                Npy.Write(Path.Combine(outDir, "grad_step0.npy"), gn, gradShape);
            }
            Npy.Write(Path.Combine(outDir, "adv.npy"), adv, [1, 3, h, w]);
            Npy.Write(Path.Combine(outDir, "probs_adv.npy"), r.Probabilities, [1, k, h, w]);
        }
        return new Result(accClean, accAdv, rows.Count, outDir, predClean, predAdv);
    }

    static double PixelAcc(int[] pred, int[] label, int ignore)
    {
        long ok = 0, valid = 0;
        for (int i = 0; i < pred.Length; i++) if (label[i] != ignore) { valid++; if (pred[i] == label[i]) ok++; }
        return valid == 0 ? 1 : (double)ok / valid;
    }
}
