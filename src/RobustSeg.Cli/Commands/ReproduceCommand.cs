using RobustSeg.Engine;
using System.CommandLine;
using RobustSeg.Adversarial.Reproduce;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg reproduce`: the README's first command (issue 8).</summary>
public sealed class ReproduceCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("reproduce", "Generate the synthetic dataset, train no defence / SAT / DDC-AT, evaluate clean, legacy BIM and a strong attack, print the table");
        var work = new Option<string>("--work-dir") { Description = "work folder (data, checkpoints, results)", DefaultValueFactory = _ => Path.Combine("runs", "reproduce") };
        var arch = new Option<string>("--arch") { Description = "psp or aspp", DefaultValueFactory = _ => "psp" };
        var all = new Option<bool>("--all") { Description = "both PSPNet and DeepLabV3" };
        var device = new Option<string>("--device") { Description = "cpu, cuda, ilgpu-cpu or auto", DefaultValueFactory = _ => "cpu" };
        var quick = new Option<bool>("--quick") { Description = "a much smaller run (smoke test)" };
        var strongAll = new Option<bool>("--strong-all") { Description = "also run the APGD-based ensemble (worst case per image)" };
        var epochs = new Option<int?>("--epochs") { Description = "training epochs (default: the synthetic configs' value)" };
        var steps = new Option<int>("--strong-steps") { Description = "PGD steps of the strong attack", DefaultValueFactory = _ => 20 };
        var eps = new Option<float>("--strong-eps") { Description = "eps of the strong attack in /255 units", DefaultValueFactory = _ => 8f };
        var seed = new Option<ulong>("--seed") { Description = "seed of the data, training and attacks", DefaultValueFactory = _ => 1UL };
        var seeds = new Option<int>("--seeds") { Description = "train and evaluate every regime with N seeds (--seed, --seed+1, ...; same data); the table shows mean ± std", DefaultValueFactory = _ => new ReproduceOptions().Seeds };
        var force = new Option<bool>("--force") { Description = "regenerate the data even if it exists" };
        var regimes = new Option<string>("--regimes") { Description = "comma-separated subset of nodefense,sat,ddcat", DefaultValueFactory = _ => "nodefense,sat,ddcat" };
        var data = new ReproduceOptions().Data;
        var noise = new Option<double>("--noise") { Description = "synthetic data: per-pixel Gaussian noise, 0..255 units", DefaultValueFactory = _ => data.Noise };
        var saturation = new Option<double>("--class-saturation") { Description = "synthetic data: share of the class hues' saturation objects keep, (0, 1]", DefaultValueFactory = _ => data.ClassSaturation };
        var sets = new Option<string[]>("--set") { Description = "config override key=value for every regime (repeatable)", AllowMultipleArgumentsPerToken = false };
        foreach (var o in new Option[] { work, arch, all, device, quick, strongAll, epochs, steps, eps, seed, seeds, force, regimes, noise, saturation, sets }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var a = pr.GetValue(arch)!.ToLowerInvariant();
            if (a != "psp" && a != "aspp") throw new UserInputException($"--arch: expected psp or aspp, got '{a}'");
            // Under mpirun every training is data-parallel and every evaluation sharded (mpi on cpu, nccl on cuda).
            var dev = pr.GetValue(device)!;
            var rank = Distributed.DistributedLaunch.Start(Device.Parse(dev) == DeviceKind.Cuda ? "nccl" : "mpi", dev);
            var group = rank.Group; // finalized by CliRunner after success (on an error it aborts the job instead)
            if (group.Rank == 0 && Distributed.DistributedLaunch.Describe(rank) is { Length: > 0 } line) Console.Error.WriteLine(line);
            var job = new ReproduceJob(new ReproduceOptions
            {
                Group = group, Progress = group.Rank == 0 ? Console.Error : TextWriter.Null,
                WorkDir = pr.GetValue(work)!, Archs = pr.GetValue(all) ? ["psp", "aspp"] : [a], Device = pr.GetValue(device)!,
                Quick = pr.GetValue(quick), StrongAll = pr.GetValue(strongAll), Epochs = pr.GetValue(epochs),
                StrongSteps = pr.GetValue(steps), StrongEps255 = pr.GetValue(eps), Seed = pr.GetValue(seed), Seeds = pr.GetValue(seeds), Force = pr.GetValue(force),
                Regimes = pr.GetValue(regimes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Overrides = pr.GetValue(sets) ?? [],
                Command = CommandLineText.Of(pr),
                Data = data with { Noise = pr.GetValue(noise), ClassSaturation = pr.GetValue(saturation) },
            });
            job.Run();
            return 0;
        });
        return cmd;
    }
}
