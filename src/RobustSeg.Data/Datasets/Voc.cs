namespace RobustSeg.Data;

/// <summary>PASCAL VOC2012 layout: ImageSets/Segmentation/{split}.txt names, JPEGImages/{name}.jpg and palette
/// labels in SegmentationClassAug (train_aug) or SegmentationClass. semseg's own train_aug / val list files are
/// plain list files (<see cref="ListFile"/>).</summary>
public static class Voc
{
    public const int NumClasses = 21;

    public static readonly string[] ClassNames =
    [
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];

    /// <summary>Entries of a split. <paramref name="labelDir"/> defaults to SegmentationClassAug when that folder
    /// exists, else SegmentationClass.</summary>
    public static List<SampleEntry> Entries(string root, string split, string? labelDir = null)
    {
        var setFile = Path.Combine(root, "ImageSets", "Segmentation", split + ".txt");
        if (!File.Exists(setFile)) throw new FileNotFoundException($"VOC split file not found: {setFile}", setFile);
        labelDir ??= Directory.Exists(Path.Combine(root, "SegmentationClassAug")) ? "SegmentationClassAug" : "SegmentationClass";
        var entries = new List<SampleEntry>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(setFile))
        {
            lineNo++;
            var name = raw.Trim();
            if (name.Length == 0) continue;
            if (name.Contains(' ') || name.Contains('\t'))
                throw new InvalidDataException($"{setFile}:{lineNo}: expected one image name per line, got '{name}'");
            entries.Add(new SampleEntry(Path.Combine(root, "JPEGImages", name + ".jpg"), Path.Combine(root, labelDir, name + ".png"), setFile, lineNo));
        }
        if (entries.Count == 0) throw new InvalidDataException($"{setFile}: split file has no names");
        return entries;
    }
}
