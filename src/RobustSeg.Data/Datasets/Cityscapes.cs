namespace RobustSeg.Data;

/// <summary>Cityscapes: the official labelId -> trainId table (cityscapesScripts labels.py; 19 classes, every
/// other id 255) and discovery of leftImg8bit / gtFine pairs.</summary>
public static class Cityscapes
{
    public const int NumClasses = 19;

    public static readonly string[] ClassNames =
    [
        "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
        "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
    ];

    /// <summary>256-entry lookup: labelId -> trainId, 255 for ignored ids.</summary>
    public static byte[] LabelIdToTrainId { get; } = BuildLut();

    static byte[] BuildLut()
    {
        var lut = new byte[256];
        Array.Fill(lut, (byte)255);
        // (labelId, trainId) for the 19 evaluated classes.
        (int Id, int Train)[] pairs =
        [
            (7, 0), (8, 1), (11, 2), (12, 3), (13, 4), (17, 5), (19, 6), (20, 7), (21, 8), (22, 9),
            (23, 10), (24, 11), (25, 12), (26, 13), (27, 14), (28, 15), (31, 16), (32, 17), (33, 18),
        ];
        foreach (var (id, train) in pairs) lut[id] = (byte)train;
        return lut;
    }

    /// <summary>Samples of a split (train / val / test): leftImg8bit/{split}/{city}/*_leftImg8bit.png with
    /// gtFine/{split}/{city}/*_gtFine_labelTrainIds.png when present (and <paramref name="preferTrainIds"/>), else
    /// *_gtFine_labelIds.png (mapped on load by LabelFormat.Auto). Sorted for a stable order.</summary>
    public static List<SampleEntry> Entries(string root, string split, bool preferTrainIds = true)
    {
        var imgDir = Path.Combine(root, "leftImg8bit", split);
        if (!Directory.Exists(imgDir)) throw new DirectoryNotFoundException($"Cityscapes image folder not found: {imgDir}");
        var entries = new List<SampleEntry>();
        foreach (var img in Directory.EnumerateFiles(imgDir, "*_leftImg8bit.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(imgDir, img);
            var stem = rel[..^"_leftImg8bit.png".Length];
            var gt = Path.Combine(root, "gtFine", split, stem + "_gtFine_");
            string label = preferTrainIds && File.Exists(gt + "labelTrainIds.png") ? gt + "labelTrainIds.png" : gt + "labelIds.png";
            entries.Add(new SampleEntry(img, label, imgDir));
        }
        if (entries.Count == 0) throw new InvalidDataException($"{imgDir}: no *_leftImg8bit.png images found");
        return entries;
    }
}
