using RobustSeg.Engine.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace RobustSeg.Data;

/// <summary>RGB image decoding and encoding on ImageSharp. The size is read from the header first, so an
/// oversized (or hostile) file is refused before any pixel memory is allocated.</summary>
public static class ImageIO
{
    /// <summary>Default decode limit: 50 megapixels.</summary>
    public const long DefaultMaxPixels = 50_000_000;

    /// <summary>Width and height from the file header, without decoding pixels.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        RequireFile(path, "image");
        IImageInfo? info;
        try { info = Image.Identify(path); }
        catch (Exception e) when (e is not FileNotFoundException and not DirectoryNotFoundException and not UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, $"cannot read image header ({e.Message})", e);
        }
        if (info is null) throw new ImageDecodeException(path, "unrecognised image format (expected JPEG or PNG)");
        return (info.Width, info.Height);
    }

    /// <summary>Decodes a JPEG/PNG (any colour type) to RGB floats 0..255, HWC.</summary>
    public static RgbImage ReadRgb(string path, long maxPixels = DefaultMaxPixels)
    {
        var (w, h) = ReadSize(path);
        CheckPixels(path, w, h, maxPixels);
        Image<Rgb24> img;
        try { img = Image.Load<Rgb24>(path); }
        catch (Exception e) when (e is not FileNotFoundException and not DirectoryNotFoundException and not UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, $"cannot decode image ({e.Message})", e);
        }
        using (img)
        {
            var pixels = new Rgb24[(long)img.Width * img.Height];
            img.CopyPixelDataTo(pixels);
            var outp = new RgbImage(img.Height, img.Width);
            var d = outp.Data;
            for (long i = 0; i < pixels.LongLength; i++)
            {
                d[i * 3] = pixels[i].R;
                d[i * 3 + 1] = pixels[i].G;
                d[i * 3 + 2] = pixels[i].B;
            }
            return outp;
        }
    }

    internal static void CheckPixels(string path, int width, int height, long maxPixels)
    {
        if (width <= 0 || height <= 0) throw new ImageDecodeException(path, $"invalid image size {width}x{height}");
        if ((long)width * height > maxPixels) throw new ImageTooLargeException(path, width, height, maxPixels);
    }

    internal static void RequireFile(string path, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} file not found: {path}", path);
    }

    /// <summary>Rounds and clamps 0..255 floats to bytes.</summary>
    static Image<Rgb24> ToImageSharp(RgbImage image)
    {
        var pixels = new Rgb24[(long)image.Height * image.Width];
        var d = image.Data;
        for (long i = 0; i < pixels.LongLength; i++)
            pixels[i] = new Rgb24(ToByte(d[i * 3]), ToByte(d[i * 3 + 1]), ToByte(d[i * 3 + 2]));
        return Image.LoadPixelData<Rgb24>(pixels, image.Width, image.Height);
    }

    static byte ToByte(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)MathF.Round(v);

    /// <summary>Writes a JPEG atomically (quality 1..100).</summary>
    public static void WriteJpeg(string path, RgbImage image, int quality = 90)
    {
        using var img = ToImageSharp(image);
        AtomicFile.Write(path, s => img.Save(s, new JpegEncoder { Quality = quality }));
    }

    /// <summary>Writes a lossless RGB PNG atomically.</summary>
    public static void WritePng(string path, RgbImage image)
    {
        using var img = ToImageSharp(image);
        AtomicFile.Write(path, s => img.Save(s, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 }));
    }
}
