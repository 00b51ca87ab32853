using RobustSeg.Data;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Test samples from a dataset: decoded one at a time (images are large), RGB scaled to [0,1]
/// planar, labels as ints (255 = ignore).</summary>
public static class DatasetSamples
{
    public static IEnumerable<EvalSample> Enumerate(SegDataset ds, int? limit = null)
    {
        if (!ds.HasLabels) throw new InvalidDataException("the test list has no label column: evaluation needs `image label` pairs");
        int n = limit is int l ? Math.Min(l, ds.Count) : ds.Count;
        for (int i = 0; i < n; i++)
        {
            var s = ds.Load(i);
            yield return FromSample(Path.GetFileName(ds.Entries[i].ImagePath), s) with { LabelPath = ds.Entries[i].LabelPath };
        }
    }

    public static EvalSample FromSample(string name, Sample s)
    {
        var img = s.Image.ToChw(1f / 255f);
        var label = s.Label is null ? Enumerable.Repeat(255, s.Height * s.Width).ToArray() : s.Label.Data.Select(b => (int)b).ToArray();
        return new EvalSample(name, img, s.Height, s.Width, label);
    }
}
