using RobustSeg.Adversarial.Metrics;
using RobustSeg.Data;
using RobustSeg.Adversarial.Evaluation.Protocols;

namespace RobustSeg.Adversarial.Evaluation.Sinks;

/// <summary>Where an evaluation's outputs go, apart from the protocol that produced them: per sample (the
/// prediction and what the protocol returned) and once at the end (the scores).</summary>
public interface IEvalSink
{
    void Add(EvalSample sample, int index, int[] prediction, EvalPrediction result) { }
    void Finish(SegScores scores, int images) { }
}

/// <summary>The sinks a run's settings ask for: metrics.csv and per_class.csv in SaveDir; with SaveImages
/// also the colourised predictions and the amplified perturbations.</summary>
public static class EvalSinks
{
    public static List<IEvalSink> For(EvalSettings s)
    {
        var sinks = new List<IEvalSink>();
        if (s.SaveDir is null) return sinks;
        sinks.Add(new MetricsCsvSink(s.SaveDir, s));
        if (s.SaveImages)
        {
            sinks.Add(new PredictionPngSink(Path.Combine(s.SaveDir, "pred"), PaletteOf(s)));
            if (s.Attack is not null) sinks.Add(new PerturbationPngSink(Path.Combine(s.SaveDir, "perturbation"), s.AttackOptions.Eps));
        }
        return sinks;
    }

    /// <summary>The colours of a run's class maps: the dataset's (settings), else by class count.</summary>
    public static byte[] PaletteOf(EvalSettings s) => s.Palette ?? Palettes.ForClasses(s.Classes);

    /// <summary>A file stem from a sample name.</summary>
    public static string Stem(string name)
    {
        var stem = Path.GetFileNameWithoutExtension(name);
        foreach (var c in Path.GetInvalidFileNameChars()) stem = stem.Replace(c, '_');
        return stem.Length == 0 ? "image" : stem;
    }
}

/// <summary>metrics.csv (one row) and per_class.csv (with class names).</summary>
public sealed class MetricsCsvSink(string dir, EvalSettings settings) : IEvalSink
{
    public void Finish(SegScores scores, int images) => EvalReport.WriteCsv(dir, scores, settings, images);
}

/// <summary>pred/NAME.png in the dataset's colours.</summary>
public sealed class PredictionPngSink(string dir, byte[] palette) : IEvalSink
{
    public void Add(EvalSample sample, int index, int[] prediction, EvalPrediction result)
    {
        using var img = Palette.Colourise(prediction, sample.Height, sample.Width, palette);
        ImageFiles.SavePng(img, Path.Combine(dir, EvalSinks.Stem(sample.Name) + ".png"));
    }
}

/// <summary>perturbation/NAME.png: the adversarial minus the clean image, amplified to the eps range.</summary>
public sealed class PerturbationPngSink(string dir, float eps) : IEvalSink
{
    public void Add(EvalSample sample, int index, int[] prediction, EvalPrediction result)
    {
        if (result.Adversarial is null || result.Clean is null) return;
        using var img = ImageFiles.Perturbation(result.Adversarial, result.Clean, result.H, result.W, eps);
        ImageFiles.SavePng(img, Path.Combine(dir, EvalSinks.Stem(sample.Name) + ".png"));
    }
}
