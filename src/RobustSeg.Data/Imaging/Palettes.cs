namespace RobustSeg.Data;

/// <summary>Colour palettes for label and prediction PNGs: VOC's 256-entry bit-interleaved map and Cityscapes'
/// 19 trainId colours (ignore 255 is black in both).</summary>
public static class Palettes
{
    /// <summary>PASCAL VOC colour map (the devkit's bitget construction), 256 RGB triples.</summary>
    public static byte[] Voc { get; } = BuildVoc();

    /// <summary>Cityscapes colours of the 19 trainIds, padded to 256 entries with black.</summary>
    public static byte[] Cityscapes { get; } = BuildCityscapes();

    static byte[] BuildVoc()
    {
        var p = new byte[768];
        for (int i = 0; i < 256; i++)
        {
            int r = 0, g = 0, b = 0, c = i;
            for (int j = 0; j < 8; j++)
            {
                r |= (c & 1) << (7 - j);
                g |= ((c >> 1) & 1) << (7 - j);
                b |= ((c >> 2) & 1) << (7 - j);
                c >>= 3;
            }
            p[i * 3] = (byte)r; p[i * 3 + 1] = (byte)g; p[i * 3 + 2] = (byte)b;
        }
        return p;
    }

    static byte[] BuildCityscapes()
    {
        byte[,] colours =
        {
            { 128, 64, 128 }, { 244, 35, 232 }, { 70, 70, 70 }, { 102, 102, 156 }, { 190, 153, 153 },
            { 153, 153, 153 }, { 250, 170, 30 }, { 220, 220, 0 }, { 107, 142, 35 }, { 152, 251, 152 },
            { 70, 130, 180 }, { 220, 20, 60 }, { 255, 0, 0 }, { 0, 0, 142 }, { 0, 0, 70 },
            { 0, 60, 100 }, { 0, 80, 100 }, { 0, 0, 230 }, { 119, 11, 32 },
        };
        var p = new byte[768];
        for (int i = 0; i < 19; i++)
            for (int c = 0; c < 3; c++) p[i * 3 + c] = colours[i, c];
        return p;
    }

    /// <summary>The palette for a class count when a dataset names no colours: Cityscapes' for its 19 trainIds,
    /// VOC's otherwise (the one picker; DataConfig.Palette and the evaluation outputs use it).</summary>
    public static byte[] ForClasses(int classes) => classes == 19 ? Cityscapes : Voc;
}
