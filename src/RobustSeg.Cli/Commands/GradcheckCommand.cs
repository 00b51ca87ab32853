using System.CommandLine;
using System.Globalization;
using RobustSeg.Engine;
using RobustSeg.Engine.GradChecks;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg gradcheck [--op NAME|all] [--device D]`: runs the registered gradient checks and
/// prints, per case, the forward error against the double reference, the gradient error against the
/// reference gradient and against float finite differences. Exit 1 if any case fails.</summary>
public sealed class GradcheckCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("gradcheck", "Check every op's gradient against finite differences and its double-precision reference");
        var op = new Option<string>("--op") { Description = "op name, or all", DefaultValueFactory = _ => "all" };
        var device = new Option<string>("--device") { Description = "cpu, ilgpu-cpu, cuda or auto", DefaultValueFactory = _ => "cpu" };
        var list = new Option<bool>("--list") { Description = "list the ops and cases, run nothing" };
        cmd.Options.Add(op); cmd.Options.Add(device); cmd.Options.Add(list);
        cmd.SetAction(pr =>
        {
            var cases = GradCheckRegistry.ForOp(pr.GetValue(op)!);
            if (pr.GetValue(list))
            {
                foreach (var c in cases) Console.WriteLine(c);
                return 0;
            }
            var dev = Device.Get(pr.GetValue(device)!);
            Console.WriteLine($"gradient checks on {dev.Describe()}");
            Console.WriteLine($"{"op/case",-44} {"fwd rel",9} {"ref abs",9} {"ref rel",9} {"fd abs",9} {"fd rel",9}  result");
            int failed = 0;
            foreach (var c in cases)
            {
                GradCheckResult r;
                try { r = GradChecker.Run(c, dev); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    r = new GradCheckResult(c.Op, c.Name, dev.Name, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, false, e.GetType().Name + ": " + e.Message);
                }
                if (!r.Passed) failed++;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.ToString(),-44} {r.ForwardRel,9:0.0E+0} {r.RefAbs,9:0.0E+0} {r.RefRel,9:0.0E+0} {r.FdAbs,9:0.0E+0} {r.FdRel,9:0.0E+0}  {(r.Passed ? "ok" : "FAIL: " + r.Failure)}"));
            }
            Console.WriteLine($"{cases.Count - failed} of {cases.Count} cases passed on {dev.Name}");
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }
}
