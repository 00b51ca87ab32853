using System.Diagnostics;
using NUnit.Framework;
using RobustSeg.Engine;
using RobustSeg.Nn.IO;
using RobustSeg.Tests;

namespace RobustSeg.Distributed.Tests;

/// <summary>Runs `robustseg` as one process or as an mpirun job of N ranks (child processes with a timeout: a
/// hang fails the test), on a tiny synthetic dataset, and reads what the runs wrote.</summary>
public static class Jobs
{
    public const string Mpirun = "/usr/bin/mpirun";

    public static string Cli()
    {
        var cfg = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;
        return Path.Combine(RepoPaths.Root, "src", "RobustSeg.Cli", "bin", cfg, "net10.0", "robustseg.dll");
    }

    public static void RequireMpirun()
    {
        if (!File.Exists(Mpirun)) Assert.Ignore("Open MPI not installed (.ci/run installs it)");
        Assert.That(File.Exists(Cli()), Cli());
    }

    /// <summary>robustseg with <paramref name="args"/>: alone (ranks 0) or under mpirun with that many ranks. A
    /// <paramref name="wrapper"/> is a bash snippet every rank runs instead, with the command as "$@" (it sees
    /// OMPI_COMM_WORLD_RANK and must exec "$@" itself).</summary>
    public static (int Rc, string Out) Run(int ranks, string workDir, string args, string? wrapper = null, int timeoutS = 180)
    {
        // Arguments are passed as a list (no shell quoting); the tests' paths and values hold no spaces.
        var cmd = new List<string> { "dotnet", Cli() };
        cmd.AddRange(args.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (wrapper is not null) cmd.InsertRange(0, ["bash", "-c", wrapper, "rank"]);
        if (ranks > 0) cmd.InsertRange(0, [Mpirun, "--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString()]);
        var psi = new ProcessStartInfo(cmd[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        foreach (var a in cmd.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["TERM"] = "dumb";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{cmd[0]} did not start");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutS * 1000)) { p.Kill(true); Assert.Fail($"job hung (killed after {timeoutS} s): {args}"); }
        p.WaitForExit();
        return (p.ExitCode, so.Result + se.Result);
    }

    public static string Ok(int ranks, string workDir, string args)
    {
        var (rc, output) = Run(ranks, workDir, args);
        Assert.That(rc, Is.EqualTo(0), $"{ranks} rank(s): robustseg {args}\n{output}");
        return output;
    }

    /// <summary>Every float tensor of a checkpoint (weights, buffers) and of its optimizer file beside it (SGD
    /// momentum, keys prefixed "optim:"), by name.</summary>
    public static Dictionary<string, float[]> Tensors(string path)
    {
        var all = Read(path, "");
        var optim = Nn.IO.Checkpoint.OptimizerPath(path);
        if (File.Exists(optim)) foreach (var kv in Read(optim, "optim:")) all[kv.Key] = kv.Value;
        return all;
    }

    static Dictionary<string, float[]> Read(string path, string prefix)
    {
        using var f = SafeTensors.Load(path, Device.Cpu);
        return f.Tensors.Where(kv => kv.Value.DType == DType.Float32).ToDictionary(kv => prefix + kv.Key, kv => kv.Value.ToArray());
    }

    /// <summary>The train_log.csv rows as columns by header name.</summary>
    public static List<Dictionary<string, double>> Log(string path)
    {
        var lines = File.ReadAllLines(path);
        var head = lines[0].Split(',');
        return lines.Skip(1).Select(l => l.Split(',').Select((v, i) => (head[i], double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)))
            .ToDictionary(x => x.Item1, x => x.Item2)).ToList();
    }

    public static string Config(string regime) => Path.Combine(RepoPaths.Root, "config", "synthetic", $"synthetic_psp18_{regime}.yaml");
}

/// <summary>A temporary folder with a tiny synthetic dataset (8 train, 4 val images of 33x33).</summary>
public sealed class TinyData : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "robustseg-ddp-" + Guid.NewGuid().ToString("N")[..8]);

    public TinyData()
    {
        Directory.CreateDirectory(Dir);
        Jobs.Ok(0, Dir, "data synth --out data --train 8 --val 4 --size 33 --seed 3");
    }

    /// <summary>--set options of a 2-iteration epoch on 33x33 crops with a global batch of 4, on the cpu.</summary>
    public static string Train(string regime, string savePath, int epochs = 1, string extra = "") =>
        $"train --config {Jobs.Config(regime)} --device cpu --set data_root=data --set batch_size=4 --set train_h=33 --set train_w=33 " +
        $"--set epochs={epochs} --set save_freq=1 --set print_freq=1 --set workers=0 --set backbone_weights= --set sync_bn=True " +
        $"--set save_path={savePath} {extra}";

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
