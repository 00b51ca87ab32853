using System.CommandLine;
using RobustSeg.Benchmarks;
using RobustSeg.Engine;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg bench SUITE [--options] [--device D]`: CSV on stdout, progress on stderr.
/// Suites are the IBenchSuite implementations of RobustSeg.Benchmarks.</summary>
public sealed class BenchCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("bench", "Kernel and model micro-benchmarks (CSV: case,device,shape,median_ms,min_ms,max_ms,gflops,gbps)");
        var suites = typeof(IBenchSuite).Assembly.GetTypes()
            .Where(t => typeof(IBenchSuite).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
            .Select(t => (IBenchSuite)Activator.CreateInstance(t)!)
            .OrderBy(s => s.Name);
        foreach (var suite in suites)
        {
            var sub = new Command(suite.Name, suite.Description);
            var device = new Option<string>("--device") { Description = "cpu, ilgpu-cpu, cuda or auto", DefaultValueFactory = _ => "cpu" };
            sub.Options.Add(device);
            var opts = suite.Options.Where(o => !o.Flag).Select(o =>
            {
                var opt = new Option<string>("--" + o.Name) { Description = o.Description, DefaultValueFactory = _ => o.Default };
                sub.Options.Add(opt);
                return (o.Name, opt);
            }).ToList();
            var flags = suite.Options.Where(o => o.Flag).Select(o =>
            {
                var opt = new Option<bool>("--" + o.Name) { Description = o.Description };
                sub.Options.Add(opt);
                return (o.Name, opt);
            }).ToList();
            sub.SetAction(pr =>
            {
                var values = opts.ToDictionary(o => o.Name, o => pr.GetValue(o.opt)!);
                foreach (var (name, opt) in flags) values[name] = pr.GetValue(opt) ? "true" : "false";
                var dev = Device.Get(pr.GetValue(device)!);
                BenchCsv.Write(Console.Out, suite.Run(new BenchContext(dev, values)));
                return 0;
            });
            cmd.Subcommands.Add(sub);
        }
        return cmd;
    }
}
