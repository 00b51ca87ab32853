using ScottPlot;
using SkiaSharp;

namespace RobustSeg.Plots;

/// <summary>The font every figure uses: DejaVu Sans, embedded in this assembly, served to ScottPlot under its own
/// family name. SkiaSharp's NoDependencies native build has no fontconfig, and a bare Debian has no fonts at all,
/// so relying on system fonts would give figures without text.</summary>
public static class PlotFonts
{
    /// <summary>The family name figures ask for (not a system name, so no installed font can shadow it).</summary>
    public const string Family = "RobustSeg Sans";

    static readonly object Gate = new();
    static bool _registered;

    /// <summary>Registers the embedded font and makes it ScottPlot's default (idempotent, thread-safe).</summary>
    public static void Ensure()
    {
        lock (Gate)
        {
            if (_registered) return;
            Fonts.FontResolvers.Insert(0, new EmbeddedResolver());
            Fonts.Default = Family;
            Fonts.Sans = Family;
            _registered = true;
        }
    }

    /// <summary>The embedded typeface (regular or bold), as figures get it.</summary>
    public static SKTypeface Typeface(bool bold = false) => EmbeddedResolver.Load(bold);

    sealed class EmbeddedResolver : IFontResolver
    {
        static SKTypeface? _regular, _bold;

        public static SKTypeface Load(bool bold)
        {
            lock (Gate)
            {
                ref var slot = ref bold ? ref _bold : ref _regular;
                if (slot is not null) return slot;
                var name = bold ? "fonts.DejaVuSans-Bold.ttf" : "fonts.DejaVuSans.ttf";
                using var s = typeof(PlotFonts).Assembly.GetManifestResourceStream(name)
                    ?? throw new InvalidOperationException($"embedded font {name} is missing from {typeof(PlotFonts).Assembly.GetName().Name}");
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                using var data = SKData.CreateCopy(ms.ToArray());
                slot = SKTypeface.FromData(data) ?? throw new InvalidOperationException($"embedded font {name} could not be decoded");
                return slot;
            }
        }

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            fontName == Family ? Load(weight >= FontWeight.SemiBold) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Family ? Load(bold) : null;
    }
}
