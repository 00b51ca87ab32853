namespace RobustSeg.Data;

/// <summary>A segmentation dataset: a list of samples plus how to read them (decode limit, label mapping).
/// Thread-safe: <see cref="Load"/> only reads files, so loader workers call it concurrently.</summary>
public sealed class SegDataset
{
    public IReadOnlyList<SampleEntry> Entries { get; }
    public LabelFormat LabelFormat { get; }
    public long MaxPixels { get; }
    public int Count => Entries.Count;
    public bool HasLabels => Entries.Count > 0 && Entries.All(e => e.LabelPath is not null);

    public SegDataset(IReadOnlyList<SampleEntry> entries, LabelFormat labelFormat = LabelFormat.Auto, long maxPixels = ImageIO.DefaultMaxPixels)
    {
        if (entries.Count == 0) throw new ArgumentException("dataset has no samples");
        if (maxPixels <= 0) throw new ArgumentException($"max pixels must be positive, got {maxPixels}");
        Entries = entries;
        LabelFormat = labelFormat;
        MaxPixels = maxPixels;
    }

    /// <summary>A semseg list file with paths relative to <paramref name="dataRoot"/>.</summary>
    public static SegDataset FromList(string listPath, string dataRoot, LabelFormat labelFormat = LabelFormat.Auto, long maxPixels = ImageIO.DefaultMaxPixels) =>
        new(ListFile.Read(listPath, dataRoot), labelFormat, maxPixels);

    public static SegDataset Voc(string root, string split, string? labelDir = null, long maxPixels = ImageIO.DefaultMaxPixels) =>
        new(Data.Voc.Entries(root, split, labelDir), LabelFormat.Index, maxPixels);

    public static SegDataset Cityscapes(string root, string split, long maxPixels = ImageIO.DefaultMaxPixels) =>
        new(Data.Cityscapes.Entries(root, split), LabelFormat.Auto, maxPixels);

    /// <summary>Decodes sample <paramref name="index"/>: RGB 0..255 and the label (null for image-only lists).
    /// A label whose size differs from its image is an error naming both files.</summary>
    public Sample Load(int index)
    {
        var e = Entries[index];
        var image = ImageIO.ReadRgb(e.ImagePath, MaxPixels);
        LabelMap? label = null;
        if (e.LabelPath is not null)
        {
            label = LabelIO.Read(e.LabelPath, MaxPixels, LabelFormats.LutFor(LabelFormat, e.LabelPath));
            if (label.Height != image.Height || label.Width != image.Width)
                throw new DataFileException(e.LabelPath,
                    $"label is {label.Width}x{label.Height} but its image {e.ImagePath} is {image.Width}x{image.Height} (width x height)");
        }
        return new Sample(image, label);
    }
}
