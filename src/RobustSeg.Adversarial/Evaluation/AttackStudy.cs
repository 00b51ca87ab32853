using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine;
using RobustSeg.Engine.IO;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>The `robustseg attack` study tool: attacks one image, records every step and writes the
/// adversarial image, the amplified perturbation, the input-gradient magnitude of the first step, the
/// predictions before and after, steps.csv and optionally .npy arrays for other tools.</summary>
public sealed class AttackStudy
{
    public required SegForward Model { get; init; }
    public required IAttack Attack { get; init; }
    public required AttackOptions Options { get; init; }
    /// <summary>Per-channel normalisation std in 0..255 units: d/d(normalised) = d/d(x01) * std / 255.</summary>
    public float[] Std255 { get; init; } = ImageNet.Std255;
    public float[] Mean255 { get; init; } = ImageNet.Mean255;
    public bool SaveNpy { get; init; }

    sealed record StepRow(string Attack, int Restart, int Step, double Loss, double FlippedFraction,
        double GradL1, double GradL2, double PerturbationLinf, double PerturbationL2);

    public sealed record Result(double CleanAccuracy, double AdvAccuracy, int Steps, string OutDir);

    /// <summary>image01 (1,3,H,W) in [0,1]; label (1,H,W) or null (then the clean prediction is the label,
    /// so the attack moves the model away from its own answer).</summary>
    public Result Run(Tensor image01, Tensor? label, string outDir)
    {
        if (image01.Rank != 4 || image01.Size(0) != 1 || image01.Size(1) != 3)
            throw new ArgumentException($"attack study takes one (1,3,H,W) image, got {image01.ShapeString}");
        Directory.CreateDirectory(outDir);
        int h = image01.Size(2), w = image01.Size(3);
        using var scope = Tensor.Scope();
        var dev = image01.Device;
        Tensor logitsClean;
        using (Autograd.NoGrad()) logitsClean = Model(image01);
        var predClean = F.Argmax(logitsClean).ToIntArray();
        var labels = label ?? Tensor.FromArray(dev, predClean, 1, h, w);

        var rows = new List<StepRow>();
        float[]? grad0 = null;
        void OnStep(AttackStepInfo i)
        {
            rows.Add(new StepRow(i.Attack, i.Restart, i.Step, i.Loss, i.FlippedFraction, i.GradL1, i.GradL2, i.PerturbationLinf, i.PerturbationL2));
            grad0 ??= i.Gradient.ToArray();
        }
        var adv = Attack.Perturb(Model, image01, labels, new AttackContext(Options, OnStep));
        Tensor logitsAdv;
        using (Autograd.NoGrad()) logitsAdv = Model(adv);
        var predAdv = F.Argmax(logitsAdv).ToIntArray();

        var clean = image01.ToArray();
        var advH = adv.ToArray();
        using (var img = ImageFiles.FromPlanar01(advH, h, w)) ImageFiles.SavePng(img, Path.Combine(outDir, "adv.png"));
        using (var img = ImageFiles.Perturbation(advH, clean, h, w, Options.Eps)) ImageFiles.SavePng(img, Path.Combine(outDir, "perturbation.png"));
        using (var img = Palette.Colourise(predClean, h, w, Palette.ForClasses(logitsClean.Size(1)))) ImageFiles.SavePng(img, Path.Combine(outDir, "pred_clean.png"));
        using (var img = Palette.Colourise(predAdv, h, w, Palette.ForClasses(logitsClean.Size(1)))) ImageFiles.SavePng(img, Path.Combine(outDir, "pred_adv.png"));
        if (grad0 is not null)
        {
            var mag = new float[h * w];
            for (int c = 0; c < 3; c++) for (int p = 0; p < h * w; p++) mag[p] += Math.Abs(grad0[c * h * w + p]);
            using var img = ImageFiles.Magnitude(mag, h, w);
            ImageFiles.SavePng(img, Path.Combine(outDir, "grad_magnitude.png"));
        }
        EvalReport.Write(Path.Combine(outDir, "steps.csv"), rows);

        if (SaveNpy)
        {
            var norm = new float[clean.Length];
            for (int c = 0; c < 3; c++) for (int p = 0; p < h * w; p++)
                norm[c * h * w + p] = (clean[c * h * w + p] * 255f - Mean255[c]) / Std255[c];
            Npy.Write(Path.Combine(outDir, "input.npy"), norm, [1, 3, h, w]);
            Npy.Write(Path.Combine(outDir, "logits_clean.npy"), logitsClean);
            if (grad0 is not null)
            {
                // x01 = (xn * std + mean) / 255, so dL/dxn = dL/dx01 * std / 255.
                var gn = new float[grad0.Length];
                for (int c = 0; c < 3; c++) for (int p = 0; p < h * w; p++) gn[c * h * w + p] = grad0[c * h * w + p] * Std255[c] / 255f;
                Npy.Write(Path.Combine(outDir, "grad_step0.npy"), gn, [1, 3, h, w]);
            }
            Npy.Write(Path.Combine(outDir, "adv.npy"), advH, [1, 3, h, w]);
            Npy.Write(Path.Combine(outDir, "logits_adv.npy"), logitsAdv);
        }
        var lab = labels.ToIntArray();
        return new Result(PixelAcc(predClean, lab), PixelAcc(predAdv, lab), rows.Count, outDir);
    }

    static double PixelAcc(int[] pred, int[] label)
    {
        long ok = 0, valid = 0;
        for (int i = 0; i < pred.Length; i++) if (label[i] != 255) { valid++; if (pred[i] == label[i]) ok++; }
        return valid == 0 ? 1 : (double)ok / valid;
    }
}
