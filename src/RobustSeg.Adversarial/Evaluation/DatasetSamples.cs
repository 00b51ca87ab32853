using RobustSeg.Data;
using RobustSeg.Data.Transforms;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>Test samples from a dataset: decoded one at a time (images are large), RGB scaled to [0,1]
/// planar, labels as ints (255 = ignore).</summary>
public static class DatasetSamples
{
    /// <summary>`resize` = TEST.test_resize ([width, height], empty or null: none): each sample is resized to it
    /// before any protocol sees it, so inference and scoring both happen at that size.</summary>
    /// <summary><paramref name="group"/>: a sharded evaluation's processes; this rank decodes only its images
    /// (i = rank, rank + N, ... of the first `limit`), each tagged with its list index.</summary>
    public static IEnumerable<EvalSample> Enumerate(SegDataset ds, int? limit = null, int[]? resize = null,
        Distributed.IProcessGroup? group = null)
    {
        if (!ds.HasLabels) throw new InvalidDataException("the test list has no label column: evaluation needs `image label` pairs");
        int n = limit is int l ? Math.Min(l, ds.Count) : ds.Count;
        int rank = group?.Rank ?? 0, world = group?.WorldSize ?? 1;
        for (int i = 0; i < n; i++)
        {
            if (!Distributed.BatchShard.Owns(i, rank, world)) continue;
            var s = ds.Load(i);
            var e = FromSample(Path.GetFileName(ds.Entries[i].ImagePath), s) with
            {
                LabelPath = ds.Entries[i].LabelPath, Index = world > 1 ? i : -1,
            };
            yield return resize is { Length: 2 } ? Resized(e, resize[0], resize[1]) : e;
        }
    }

    public static EvalSample FromSample(string name, Sample s)
    {
        var img = s.Image.ToChw(1f / 255f);
        var label = s.Label is null ? Enumerable.Repeat(255, s.Height * s.Width).ToArray() : s.Label.Data.Select(b => (int)b).ToArray();
        return new EvalSample(name, img, s.Height, s.Width, label);
    }

    /// <summary>The original's Cityscapes test: the image to (w, h) with cv2.INTER_LINEAR, the label with
    /// cv2.INTER_NEAREST (tool_test/cityscapes/test_city_*.py), via the project's one resampling code.</summary>
    public static EvalSample Resized(EvalSample s, int w, int h) =>
        s.Width == w && s.Height == h ? s : s with
        {
            Image01 = Resampling.ResizeBilinearPlanar(s.Image01, 3, s.Height, s.Width, h, w),
            Label = Resampling.ResizeNearestPlane(s.Label, s.Height, s.Width, h, w),
            Height = h, Width = w,
        };
}
