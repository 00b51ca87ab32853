using System.Net;
using System.Text;
using RobustSeg.Engine.IO;

namespace RobustSeg.Plots;

/// <summary>A part of a report.</summary>
public abstract record ReportSection(string Heading);

/// <summary>Text, shown preformatted (a command line, a config).</summary>
public sealed record TextSection(string Heading, string Text) : ReportSection(Heading);

/// <summary>A cell: text and optionally a colour swatch before it (class colours).</summary>
public sealed record ReportCell(string Text, byte[]? Rgb = null)
{
    public static implicit operator ReportCell(string text) => new(text);
}

public sealed record TableSection(string Heading, string[] Header, IReadOnlyList<ReportCell[]> Rows, string? Note = null) : ReportSection(Heading);

/// <summary>A picture (a plot), by its path relative to the report.</summary>
public sealed record FigureSection(string Heading, string File, string Caption) : ReportSection(Heading);

/// <summary>Rows of pictures under column titles; a null file leaves its cell empty.</summary>
public sealed record GallerySection(string Heading, string[] Columns, IReadOnlyList<GalleryRow> Rows, string? Note = null) : ReportSection(Heading);
public sealed record GalleryRow(string Name, string?[] Files);

/// <summary>report.html: one self-contained page (inline style, no script, nothing from the network) whose pictures
/// are files beside it, referenced by relative paths, so the folder opens from disk or can be copied whole.
/// Every referenced file must exist when the page is written.</summary>
public static class HtmlReport
{
    const string Style = """
        body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #222; }
        h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ccc; }
        pre { background: #f5f5f5; padding: 8px; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        .sw { display: inline-block; width: 12px; height: 12px; margin-right: 6px; border: 1px solid #444; vertical-align: middle; }
        .gallery td { text-align: center; vertical-align: top; }
        /* A fixed width: small test images are enlarged (pixelated keeps label edges), large ones shrink. */
        .gallery img { width: 160px; height: auto; image-rendering: pixelated; }
        figure img { max-width: 100%; }
        .note { color: #555; font-size: 12px; }
        """;

    public static void Write(string path, string title, IReadOnlyList<ReportSection> sections)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(title)).Append("</title>\n<style>\n")
          .Append(Style).Append("</style>\n</head>\n<body>\n<h1>").Append(E(title)).Append("</h1>\n");
        foreach (var s in sections)
        {
            sb.Append("<h2>").Append(E(s.Heading)).Append("</h2>\n");
            switch (s)
            {
                case TextSection t:
                    sb.Append("<pre>").Append(E(t.Text)).Append("</pre>\n");
                    break;
                case TableSection t:
                    sb.Append("<table>\n<tr>").AppendJoin("", t.Header.Select(h => $"<th>{E(h)}</th>")).Append("</tr>\n");
                    foreach (var row in t.Rows) sb.Append("<tr>").AppendJoin("", row.Select(Cell)).Append("</tr>\n");
                    sb.Append("</table>\n");
                    if (t.Note is not null) sb.Append("<p class=\"note\">").Append(E(t.Note)).Append("</p>\n");
                    break;
                case FigureSection f:
                    sb.Append("<figure><img src=\"").Append(Ref(dir, f.File)).Append("\" alt=\"").Append(E(f.Caption))
                      .Append("\"><figcaption class=\"note\">").Append(E(f.Caption)).Append("</figcaption></figure>\n");
                    break;
                case GallerySection g:
                    if (g.Note is not null) sb.Append("<p class=\"note\">").Append(E(g.Note)).Append("</p>\n");
                    sb.Append("<table class=\"gallery\">\n<tr><th>image</th>").AppendJoin("", g.Columns.Select(c => $"<th>{E(c)}</th>")).Append("</tr>\n");
                    foreach (var r in g.Rows)
                    {
                        if (r.Files.Length != g.Columns.Length) throw new ArgumentException($"gallery row {r.Name}: {r.Files.Length} files for {g.Columns.Length} columns");
                        sb.Append("<tr><td>").Append(E(r.Name)).Append("</td>");
                        for (int i = 0; i < r.Files.Length; i++)
                            sb.Append("<td>").Append(r.Files[i] is { } f ? $"<img src=\"{Ref(dir, f)}\" alt=\"{E(r.Name + " " + g.Columns[i])}\">" : "").Append("</td>");
                        sb.Append("</tr>\n");
                    }
                    sb.Append("</table>\n");
                    break;
                default:
                    throw new ArgumentException($"report: unknown section type {s.GetType().Name}");
            }
        }
        sb.Append("</body>\n</html>\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    static string Cell(ReportCell c) => c.Rgb is { Length: 3 } rgb
        ? $"<td><span class=\"sw\" style=\"background: rgb({rgb[0]},{rgb[1]},{rgb[2]})\"></span>{E(c.Text)}</td>"
        : $"<td>{E(c.Text)}</td>";

    /// <summary>A picture's path relative to the report's folder, with '/' separators, URL-escaped per segment;
    /// the file must exist (a report with a broken picture is a bug of the writer that assembled it).</summary>
    static string Ref(string dir, string file)
    {
        var full = Path.GetFullPath(Path.Combine(dir, file));
        if (!File.Exists(full)) throw new InvalidOperationException($"report: picture {full} does not exist");
        var rel = Path.GetRelativePath(dir, full);
        if (rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel))
            throw new InvalidOperationException($"report: picture {full} is not inside the report's folder {dir}");
        return string.Join('/', rel.Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString));
    }

    static string E(string s) => WebUtility.HtmlEncode(s);
}
