using RobustSeg.Plots;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>The attack study's figures: steps.png (per-step traces, one line per attack member and restart) and
/// overview.png (clean and adversarial image, perturbation, input gradient, both predictions, titled).</summary>
public static class StudyFigures
{
    public static void Steps(string path, IReadOnlyList<(string Attack, int Restart, int Step, double Loss, double Flipped, double Linf, double L2)> rows, string title)
    {
        var traces = rows.GroupBy(r => (r.Attack, r.Restart)).Select(g =>
        {
            var l = g.ToList();
            return new StepTrace($"{g.Key.Attack} restart {g.Key.Restart}", l.Select(r => (double)r.Step).ToArray(), l.Select(r => r.Loss).ToArray(),
                l.Select(r => r.Flipped).ToArray(), l.Select(r => r.Linf * 255).ToArray(), l.Select(r => r.L2).ToArray());
        }).ToList();
        AttackStepsPlot.Write(path, traces, title);
    }

    public static void Overview(string path, float[] clean01, float[] adv01, int h, int w, float eps, float[]? gradMagnitude, int[] gradShape,
        int[] predClean, int[] predAdv, byte[] palette, double accClean, double accAdv, string title)
    {
        var pictures = new List<TitledPicture>();
        using (var img = ImageFiles.FromPlanar01(clean01, h, w)) pictures.Add(new("clean image", Picture(img)));
        using (var img = ImageFiles.FromPlanar01(adv01, h, w)) pictures.Add(new($"adversarial ({title})", Picture(img)));
        using (var img = ImageFiles.Perturbation(adv01, clean01, h, w, eps)) pictures.Add(new("perturbation (±eps -> black/white)", Picture(img)));
        if (gradMagnitude is not null)
            using (var img = ImageFiles.Magnitude(gradMagnitude, gradShape[^2], gradShape[^1])) pictures.Add(new("|input gradient|, step 1", Picture(img)));
        using (var img = Palette.Colourise(predClean, h, w, palette)) pictures.Add(new($"clean prediction (acc {accClean:P1})", Picture(img)));
        using (var img = Palette.Colourise(predAdv, h, w, palette)) pictures.Add(new($"adversarial prediction (acc {accAdv:P1})", Picture(img)));
        OverviewFigure.Write(path, pictures, columns: 3);
    }

    /// <summary>An ImageSharp picture as the plots' interleaved RGB bytes.</summary>
    public static RgbPicture Picture(Image<Rgb24> img)
    {
        var px = new Rgb24[img.Width * img.Height];
        img.CopyPixelDataTo(px);
        return new RgbPicture(System.Runtime.InteropServices.MemoryMarshal.AsBytes(px.AsSpan()).ToArray(), img.Width, img.Height);
    }
}
