using System.Globalization;
using RobustSeg.Engine.IO;
using RobustSeg.Plots;

namespace RobustSeg.Adversarial.Training;

/// <summary>After every epoch: the validation result (when `evaluate` is on) appended to val_log.csv and curves.png
/// redrawn from train_log.csv and val_log.csv, all beside the training log. Only the process that writes the log
/// calls it, so only that one draws.</summary>
public static class TrainCurves
{
    public const string FileName = "curves.png", ValLogName = "val_log.csv";
    const string ValHeader = "epoch,iteration,loss,miou,macc,allacc";

    public static void AfterEpoch(string trainLogPath, int epoch, long iteration, Validation.Result? validation)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(trainLogPath))!;
        var valPath = Path.Combine(dir, ValLogName);
        if (validation is { } v) AppendValidation(valPath, epoch, iteration, v);
        // The run's folder names it (save_path is often RUN/model).
        var parent = Path.GetFileName(Path.GetDirectoryName(dir));
        var title = string.IsNullOrEmpty(parent) ? Path.GetFileName(dir) : $"{parent}/{Path.GetFileName(dir)}";
        TrainingCurvesPlot.Write(Path.Combine(dir, FileName), Curves(trainLogPath, valPath), title);
    }

    /// <summary>Rewrites val_log.csv atomically: the rows of earlier epochs (a resumed run keeps them) and this one.</summary>
    public static void AppendValidation(string path, int epoch, long iteration, Validation.Result v)
    {
        var inv = CultureInfo.InvariantCulture;
        var kept = File.Exists(path)
            ? File.ReadLines(path).Skip(1).Where(l => l.Length > 0 && int.TryParse(l.Split(',')[0], NumberStyles.Integer, inv, out var e) && e < epoch).ToList()
            : [];
        kept.Add(string.Join(',', epoch.ToString(inv), iteration.ToString(inv), v.Loss.ToString("R", inv), v.MIoU.ToString("R", inv),
            v.MAcc.ToString("R", inv), v.AllAcc.ToString("R", inv)));
        AtomicFile.WriteAllText(path, string.Concat(new[] { ValHeader }.Concat(kept).Select(l => l + "\n")));
    }

    /// <summary>The series of curves.png, read from the logs by column name. Mask loss and the DDC-AT diagnostics
    /// appear only when the log has non-zero values there (other regimes log 0).</summary>
    public static TrainingCurves Curves(string trainLogPath, string valLogPath)
    {
        var t = ReadColumns(trainLogPath);
        var it = t["iteration"];
        PlotSeries S(string label, string col) => new(label, it, t.TryGetValue(col, out var y) ? y : new double[it.Length]);
        bool Any(string col) => t.TryGetValue(col, out var y) && y.Any(v => v != 0);
        var losses = new List<PlotSeries> { S("main (routed output)", "main_loss"), S("aux (x1, weighted 0.4 in the total)", "aux_loss") };
        if (Any("mask_loss")) losses.Add(S("mask (DDC-AT)", "mask_loss"));
        var accuracy = new List<PlotSeries> { S("training pixel accuracy", "pixel_accuracy") };
        if (File.Exists(valLogPath))
        {
            var v = ReadColumns(valLogPath);
            accuracy.Add(new PlotSeries("validation mIoU", v["iteration"], v["miou"]));
        }
        var lr = new List<PlotSeries> { S("backbone lr", "lr") };
        if (Any("lr_heads")) lr.Add(S("heads lr (10x)", "lr_heads"));
        List<PlotSeries>? branch = null;
        if (Any("mask_target_ones") || Any("routed_clean") || Any("routed_adv"))
            branch = [S("mask targets = 1 (clean half)", "mask_target_ones"), S("routed to cls2, clean half", "routed_clean"), S("routed to cls2, adversarial half", "routed_adv")];
        return new TrainingCurves(losses, accuracy, lr, branch);
    }

    static Dictionary<string, double[]> ReadColumns(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        var cols = new Dictionary<string, double[]>();
        for (int c = 0; c < header.Length; c++)
            cols[header[c]] = rows.Select(r => c < r.Length && double.TryParse(r[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
        return cols;
    }
}
