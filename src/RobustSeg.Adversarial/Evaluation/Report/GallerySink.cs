using RobustSeg.Adversarial.Evaluation.Protocols;
using RobustSeg.Adversarial.Evaluation.Sinks;

namespace RobustSeg.Adversarial.Evaluation.Report;

/// <summary>The report gallery's pictures of the first <paramref name="count"/> samples, written under
/// REPORT_DIR/report_files/: with <paramref name="inputs"/> the image and its colourised label, and for the run
/// <paramref name="key"/> its prediction and, when attacked, the amplified perturbation.</summary>
public sealed class GallerySink(string reportDir, string key, int count, byte[] palette, float eps, bool inputs) : IEvalSink
{
    public const string Folder = "report_files";

    readonly SortedDictionary<int, string> _stems = new();
    readonly HashSet<int> _perturbed = [];

    /// <summary>Index -> file stem of the samples pictured so far.</summary>
    public IReadOnlyDictionary<int, string> Stems => _stems;
    public string Key => key;
    /// <summary>Whether sample <paramref name="index"/> got a perturbation picture (the protocol returned the adversarial image).</summary>
    public bool HasPerturbation(int index) => _perturbed.Contains(index);

    public void Add(EvalSample sample, int index, int[] prediction, EvalPrediction result)
    {
        if (index >= count) return;
        var stem = $"{index:D3}_{EvalSinks.Stem(sample.Name)}";
        _stems[index] = stem;
        if (inputs)
        {
            using (var img = ImageFiles.FromPlanar01(sample.Image01, sample.Height, sample.Width)) ImageFiles.SavePng(img, Full(Image(stem)));
            using (var lab = Palette.Colourise(sample.Label, sample.Height, sample.Width, palette)) ImageFiles.SavePng(lab, Full(Label(stem)));
        }
        using (var img = Palette.Colourise(prediction, sample.Height, sample.Width, palette)) ImageFiles.SavePng(img, Full(Prediction(stem, key)));
        if (result.Adversarial is not null && result.Clean is not null)
        {
            using var img = ImageFiles.Perturbation(result.Adversarial, result.Clean, result.H, result.W, eps);
            ImageFiles.SavePng(img, Full(Perturbation(stem, key)));
            _perturbed.Add(index);
        }
    }

    string Full(string rel) => Path.Combine(reportDir, rel);

    // Paths relative to the report's folder.
    public static string Image(string stem) => $"{Folder}/{stem}_image.png";
    public static string Label(string stem) => $"{Folder}/{stem}_label.png";
    public static string Prediction(string stem, string key) => $"{Folder}/{stem}_{key}_pred.png";
    public static string Perturbation(string stem, string key) => $"{Folder}/{stem}_{key}_pert.png";
}
