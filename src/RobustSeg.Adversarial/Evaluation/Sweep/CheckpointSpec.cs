using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation.Sweep;

/// <summary>A `--checkpoint` of `test`: `LABEL=PATH` or a bare PATH (labelled by its file name without extension).
/// Labels name the sweep's lines, rows and output folders, so they must be distinct and usable as folder names.</summary>
public sealed record CheckpointSpec(string Label, string Path)
{
    public static CheckpointSpec Parse(string arg)
    {
        int eq = arg.IndexOf('=');
        // A '=' before any path separator separates a label; a path may itself contain '=' further on.
        int sep = arg.IndexOfAny(['/', '\\']);
        if (eq > 0 && (sep < 0 || eq < sep))
        {
            var label = arg[..eq].Trim();
            var path = arg[(eq + 1)..].Trim();
            if (path.Length == 0) throw new UserInputException($"--checkpoint {arg}: no path after '{label}='");
            Check(label, arg);
            return new CheckpointSpec(label, path);
        }
        var stem = System.IO.Path.GetFileNameWithoutExtension(arg);
        return new CheckpointSpec(stem.Length == 0 ? "model" : stem, arg);
    }

    public static IReadOnlyList<CheckpointSpec> ParseAll(IEnumerable<string> args)
    {
        var list = args.Select(Parse).ToList();
        var dup = list.GroupBy(c => c.Label, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new UserInputException($"--checkpoint: label '{dup.Key}' is used by {string.Join(" and ", dup.Select(d => d.Path))}; give each a label: --checkpoint NAME=PATH");
        return list;
    }

    static void Check(string label, string arg)
    {
        if (label.Length == 0 || label.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.')) || label.StartsWith('.'))
            throw new UserInputException($"--checkpoint {arg}: label '{label}' must be letters, digits, '-', '_' or '.' (it names output folders)");
    }
}
