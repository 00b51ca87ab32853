using RobustSeg.Engine;
using System.CommandLine;
using RobustSeg.Config;
using RobustSeg.Data;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg data check`: walks the list(s) of a config's DATA section (or one --list with --root and
/// --classes) and reports missing files, unreadable images, size mismatches and bad label values, with counts.
/// Exit 0 when clean, 1 when problems were found, 2 on unusable arguments.</summary>
internal static class DataCheckCommand
{
    public static Command Build()
    {
        var cmd = new Command("check", "Check a dataset: missing files, unreadable images, image/label size mismatches, label values outside [0, classes) and 255");
        var config = new ConfigCliOptions(required: false);
        var split = new Option<string>("--split") { Description = "train, val or both (with --config)", DefaultValueFactory = _ => "both" };
        var list = new Option<string?>("--list") { Description = "a semseg list file (instead of --config)" };
        var root = new Option<string>("--root") { Description = "data root the list's paths are relative to (with --list)", DefaultValueFactory = _ => "." };
        var classes = new Option<int>("--classes") { Description = "number of classes (with --list)", DefaultValueFactory = _ => 0 };
        var labelFormat = new Option<string>("--label-format") { Description = "auto, index or cityscapes_labelids (with --list)", DefaultValueFactory = _ => "auto" };
        var maxPixels = new Option<long>("--max-pixels") { Description = "refuse images larger than this many pixels (with --list)", DefaultValueFactory = _ => ImageIO.DefaultMaxPixels };
        var maxLines = new Option<int>("--max-lines") { Description = "problems printed per list (all are counted)", DefaultValueFactory = _ => 50 };
        foreach (var o in new Option[] { split, list, root, classes, labelFormat, maxPixels, maxLines }.Concat(config.All)) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var checks = new List<(string Title, SegDataset Dataset, int Classes, int Ignore)>();
            var listPath = pr.GetValue(list);
            if (config.Given(pr) == listPath is not null)
                throw new ConfigException("give either --config FILE or --list FILE --root DIR --classes K");
            if (config.Given(pr))
            {
                var cfg = DataConfig.From(config.Load(pr));
                var s = pr.GetValue(split)!;
                if (s is not ("train" or "val" or "test" or "both")) throw new ConfigException($"--split must be train, val, test or both, got '{s}'");
                foreach (var name in s == "both" ? new[] { "train", "val" } : [s])
                {
                    var lp = name switch { "train" => cfg.TrainList, "val" => cfg.ValList, _ => cfg.TestList };
                    if (lp is null) { if (s != "both") throw new ConfigException($"{cfg.Source}: DATA.{name}_list is not set"); continue; }
                    checks.Add(($"{name} ({lp})", cfg.Dataset(name), cfg.Classes, cfg.IgnoreLabel));
                }
            }
            else
            {
                int k = pr.GetValue(classes);
                if (k < 1 || k > 255) throw new ConfigException($"--classes must be in [1, 255] with --list, got {k}");
                var ds = SegDataset.FromList(listPath!, pr.GetValue(root)!, LabelFormats.Parse(pr.GetValue(labelFormat)!, "--label-format"), pr.GetValue(maxPixels));
                checks.Add((listPath!, ds, k, 255));
            }
            var problems = new List<DataProblem>();
            foreach (var (title, ds, k, ignore) in checks)
            {
                Console.Error.WriteLine($"checking {title}: {ds.Count} samples, {k} classes ...");
                var report = DatasetChecker.Check(ds, k, ignore);
                DatasetChecker.Print(report, Console.Out, title, pr.GetValue(maxLines));
                problems.AddRange(report.Problems);
            }
            // Bad data is bad input: the one error policy's exit 2, one line naming the first bad file (the report above lists all).
            if (problems.Count > 0)
                throw new UserInputException($"{problems.Count} problem(s) in the data (listed above); the first: {problems[0]}");
            return 0;
        });
        return cmd;
    }
}
