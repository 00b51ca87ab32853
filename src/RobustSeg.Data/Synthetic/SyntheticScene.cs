using RobustSeg.Data.Transforms;

namespace RobustSeg.Data;

/// <summary>Renders one synthetic scene. Object classes differ by shape AND texture, and (by default,
/// <see cref="SyntheticOptions.ClassColours"/>) by a jittered class hue against a desaturated background;
/// without class colours, colours are random per object; the background (class 0) is a colour gradient with plain, untextured clutter shapes
/// and thin lines, some of which occlude objects; Gaussian noise covers everything; a 255 band marks every label
/// boundary (the pixels whose 3x3 neighbourhood holds another label), as VOC's annotations do.</summary>
public static class SyntheticScene
{
    /// <summary>Object types, class k = type k-1.</summary>
    public static readonly string[] ObjectTypes =
    [
        "disc_stripes", "square_checker", "triangle_dots", "ring_grid", "cross_rings", "ellipse_speckle",
    ];

    public static string[] ClassNames(int classes) => ["background", .. ObjectTypes.Take(classes - 1)];

    public static (RgbImage Image, LabelMap Label) Render(SyntheticOptions o, SampleRng rng)
    {
        int s = o.Size;
        var img = new RgbImage(s, s);
        var lab = new LabelMap(s, s);
        DrawBackground(img, rng, s, o.ClassColours);

        int nObj = rng.NextInt(o.MinObjects, o.MaxObjects);
        for (int k = 0; k < nObj; k++)
        {
            int cls = rng.NextInt(1, o.Classes - 1);
            DrawObject(img, lab, rng, s, cls, o.ClassColours, (float)o.ClassSaturation);
        }
        // Partial occlusion by background stuff (plain colour bars).
        if (nObj > 0 && rng.NextDouble() < 0.5) DrawPlainBar(img, lab, rng, s, labelled: true, o.ClassColours ? 0.25f : 1f);

        var band = Boundaries(lab);
        for (int i = 0; i < img.Data.Length; i++)
            img.Data[i] = Math.Clamp(img.Data[i] + (float)(o.Noise * rng.NextGaussian()), 0, 255);
        return (img, band);
    }

    static float[] RandomColour(SampleRng r) => [r.NextInt(0, 255), r.NextInt(0, 255), r.NextInt(0, 255)];

    /// <summary>A second colour contrasting with <paramref name="c"/> in every channel.</summary>
    static float[] Contrast(float[] c, SampleRng r)
    {
        var d = new float[3];
        for (int k = 0; k < 3; k++)
        {
            float delta = 90 + r.NextInt(0, 40);
            d[k] = c[k] > 127 ? c[k] - delta : c[k] + delta;
        }
        return d;
    }

    static void Set(RgbImage img, int y, int x, float[] c)
    {
        long o = ((long)y * img.Width + x) * 3;
        img.Data[o] = c[0]; img.Data[o + 1] = c[1]; img.Data[o + 2] = c[2];
    }

    /// <summary>Base hues of the object classes (RGB), far apart; objects jitter around them.</summary>
    static readonly float[][] ClassHues =
    [
        [220, 40, 40], [40, 200, 60], [50, 80, 230], [230, 200, 30], [200, 50, 210], [30, 210, 210],
    ];

    static float[] ClassColour(int type, SampleRng r)
    {
        var h = ClassHues[type % ClassHues.Length];
        return [Math.Clamp(h[0] + r.NextInt(-25, 25), 0, 255), Math.Clamp(h[1] + r.NextInt(-25, 25), 0, 255), Math.Clamp(h[2] + r.NextInt(-25, 25), 0, 255)];
    }

    /// <summary>Pulls a colour towards its grey level (background stuff stays distinct from class hues).</summary>
    static float[] Desaturate(float[] c, float keep)
    {
        float g = (c[0] + c[1] + c[2]) / 3;
        return [g + keep * (c[0] - g), g + keep * (c[1] - g), g + keep * (c[2] - g)];
    }

    static void DrawBackground(RgbImage img, SampleRng r, int s, bool classColours)
    {
        float keep = classColours ? 0.25f : 1f;
        var a = Desaturate(RandomColour(r), keep);
        var b = Desaturate(RandomColour(r), keep);
        double th = r.NextDouble() * 2 * Math.PI, cx = Math.Cos(th), cy = Math.Sin(th);
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
            {
                double t = Math.Clamp(0.5 + ((x - s / 2.0) * cx + (y - s / 2.0) * cy) / s, 0, 1);
                Set(img, y, x, [(float)(a[0] + (b[0] - a[0]) * t), (float)(a[1] + (b[1] - a[1]) * t), (float)(a[2] + (b[2] - a[2]) * t)]);
            }
        int blobs = r.NextInt(3, 7);
        for (int i = 0; i < blobs; i++)
        {
            var c = Desaturate(RandomColour(r), keep);
            double bx = r.NextDouble() * s, by = r.NextDouble() * s;
            double rx = s * (0.04 + 0.12 * r.NextDouble()), ry = s * (0.04 + 0.12 * r.NextDouble());
            bool rect = r.NextDouble() < 0.5;
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                {
                    double u = (x - bx) / rx, v = (y - by) / ry;
                    if (rect ? Math.Abs(u) <= 1 && Math.Abs(v) <= 1 : u * u + v * v <= 1) Set(img, y, x, c);
                }
        }
        int lines = r.NextInt(0, 2);
        for (int i = 0; i < lines; i++) DrawLine(img, r, s, width: 0.6, keep);
    }

    static void DrawLine(RgbImage img, SampleRng r, int s, double width, float keep)
    {
        var c = Desaturate(RandomColour(r), keep);
        double th = r.NextDouble() * Math.PI, nx = -Math.Sin(th), ny = Math.Cos(th);
        double px = r.NextDouble() * s, py = r.NextDouble() * s;
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
                if (Math.Abs((x - px) * nx + (y - py) * ny) <= width) Set(img, y, x, c);
    }

    static void DrawPlainBar(RgbImage img, LabelMap lab, SampleRng r, int s, bool labelled, float keep)
    {
        var c = Desaturate(RandomColour(r), keep);
        double th = r.NextDouble() * Math.PI, ux = Math.Cos(th), uy = Math.Sin(th);
        double px = s * (0.25 + 0.5 * r.NextDouble()), py = s * (0.25 + 0.5 * r.NextDouble());
        double half = s * (0.04 + 0.05 * r.NextDouble()), len = s * (0.2 + 0.3 * r.NextDouble());
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
            {
                double dx = x - px, dy = y - py;
                double along = dx * ux + dy * uy, across = -dx * uy + dy * ux;
                if (Math.Abs(along) <= len && Math.Abs(across) <= half)
                {
                    Set(img, y, x, c);
                    if (labelled) lab[y, x] = 0;
                }
            }
    }

    static void DrawObject(RgbImage img, LabelMap lab, SampleRng r, int s, int cls, bool classColours, float saturation)
    {
        int type = cls - 1;
        double rad = s * (0.17 + 0.13 * r.NextDouble());
        double cx = s * (0.15 + 0.7 * r.NextDouble()), cy = s * (0.15 + 0.7 * r.NextDouble());
        double th = r.NextDouble() * 2 * Math.PI, cos = Math.Cos(th), sin = Math.Sin(th);
        var c1 = !classColours ? RandomColour(r) : saturation < 1f ? Desaturate(ClassColour(type, r), saturation) : ClassColour(type, r);
        var c2 = classColours ? Desaturate(c1, 0.35f) : Contrast(c1, r);
        double period = classColours ? 7 + 3 * r.NextDouble() : 4 + 2 * r.NextDouble();
        double texAngle = r.NextDouble() * Math.PI, tcos = Math.Cos(texAngle), tsin = Math.Sin(texAngle);
        ulong speckleSeed = r.NextULong();
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
            {
                double dx = x - cx, dy = y - cy;
                double u = dx * cos + dy * sin, v = -dx * sin + dy * cos; // object frame
                if (!Inside(type, u / rad, v / rad)) continue;
                bool alt = Texture(type, u, v, dx, dy, period, tcos, tsin, speckleSeed);
                Set(img, y, x, alt ? c2 : c1);
                lab[y, x] = (byte)cls;
            }
    }

    /// <summary>Shape membership in the object frame, coordinates in units of the radius.</summary>
    static bool Inside(int type, double u, double v) => type switch
    {
        0 => u * u + v * v <= 1,                                           // disc
        1 => Math.Abs(u) <= 0.85 && Math.Abs(v) <= 0.85,                   // square
        2 => v <= 0.7 && v >= -1.4 + 1.732 * Math.Abs(u),                   // equilateral triangle, apex up (enlarged: area near the others')
        3 => u * u + v * v <= 1 && u * u + v * v >= 0.3,                   // ring
        4 => (Math.Abs(u) <= 0.33 && Math.Abs(v) <= 1) || (Math.Abs(v) <= 0.33 && Math.Abs(u) <= 1), // cross
        5 => u * u / 1.2 + v * v / 0.3 <= 1,                               // elongated ellipse
        _ => false,
    };

    static bool Texture(int type, double u, double v, double dx, double dy, double period, double tcos, double tsin, ulong seed)
    {
        switch (type)
        {
            case 0: // stripes at a random angle
                return Frac((dx * tcos + dy * tsin) / period) < 0.5;
            case 1: // checkerboard in the object frame
            {
                double cell = period * 0.7;
                return (((int)Math.Floor(u / cell) + (int)Math.Floor(v / cell)) & 1) == 0;
            }
            case 2: // dots on a grid
            {
                double g = period + 1, fu = Frac(u / g) - 0.5, fv = Frac(v / g) - 0.5;
                return fu * fu + fv * fv < 0.09;
            }
            case 3: // grid lines
            {
                double g = period + 0.5;
                return Frac(u / g) < 0.3 || Frac(v / g) < 0.3;
            }
            case 4: // concentric rings
                return Frac(Math.Sqrt(dx * dx + dy * dy) / period) < 0.5;
            case 5: // 2x2 binary speckle, fixed to the object frame
            {
                long iu = (long)Math.Floor(u / 2), iv = (long)Math.Floor(v / 2);
                return (SampleRng.Mix(seed, (ulong)iu, (ulong)iv) & 1) == 0;
            }
            default: return false;
        }
    }

    static double Frac(double x) => x - Math.Floor(x);

    /// <summary>Marks pixels whose 3x3 neighbourhood holds another label with 255 (a band ~2 px wide).</summary>
    static LabelMap Boundaries(LabelMap lab)
    {
        int h = lab.Height, w = lab.Width;
        var outp = new LabelMap(h, w, (byte[])lab.Data.Clone());
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                byte v = lab[y, x];
                bool edge = false;
                for (int dy = -1; dy <= 1 && !edge; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if ((uint)yy < (uint)h && (uint)xx < (uint)w && lab[yy, xx] != v) { edge = true; break; }
                    }
                if (edge) outp[y, x] = LabelMap.Ignore;
            }
        return outp;
    }
}
