namespace RobustSeg.Data;

/// <summary>How stored label values become class indices.</summary>
public enum LabelFormat
{
    /// <summary>Cityscapes `*_labelIds.png` files are mapped to trainIds, every other file is read as is.</summary>
    Auto,
    /// <summary>Values are class indices (VOC palette / grey PNGs, `*_labelTrainIds.png`).</summary>
    Index,
    /// <summary>Cityscapes labelIds, mapped to the 19 trainIds (others 255).</summary>
    CityscapesLabelIds,
}

public static class LabelFormats
{
    public static LabelFormat Parse(string s, string where) => s.Trim().ToLowerInvariant().Replace("-", "_") switch
    {
        "auto" => LabelFormat.Auto,
        "index" or "indices" or "trainids" => LabelFormat.Index,
        "cityscapes_labelids" or "labelids" => LabelFormat.CityscapesLabelIds,
        _ => throw new InvalidDataException($"{where}: unknown label_format '{s}' (expected auto, index or cityscapes_labelids)"),
    };

    /// <summary>The lookup table for a label file, or null when values are used as they are.</summary>
    public static byte[]? LutFor(LabelFormat format, string labelPath) => format switch
    {
        LabelFormat.CityscapesLabelIds => Cityscapes.LabelIdToTrainId,
        LabelFormat.Auto when labelPath.EndsWith("_labelIds.png", StringComparison.Ordinal) => Cityscapes.LabelIdToTrainId,
        _ => null,
    };
}
