namespace RobustSeg.Data;

/// <summary>A data file that exists but cannot be used (corrupt, unsupported format, too large).
/// A user-input error (one line, exit 2 in the CLI); <see cref="Path"/> names the file.</summary>
public class DataFileException(string path, string message, Exception? inner = null)
    : FormatException($"{path}: {message}", inner), RobustSeg.Engine.IUserInputError
{
    public string Path { get; } = path;
}

/// <summary>An image or label whose pixel count exceeds the configured decode limit (checked before decoding).</summary>
public sealed class ImageTooLargeException(string path, int width, int height, long maxPixels)
    : DataFileException(path, $"image is {width}x{height} = {(long)width * height} pixels, over the limit of {maxPixels} pixels (raise max_pixels if this is intended)")
{
    public int ImageWidth { get; } = width;
    public int ImageHeight { get; } = height;
}

/// <summary>A file that could not be decoded as an image or label.</summary>
public sealed class ImageDecodeException(string path, string message, Exception? inner = null)
    : DataFileException(path, message, inner);
