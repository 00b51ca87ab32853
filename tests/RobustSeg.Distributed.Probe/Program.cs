using RobustSeg.Distributed;
using RobustSeg.Engine;

// Probe run under mpirun by the distributed tests: prints one "rank R: ..." line per check, or aborts
// from the rank named by `fail R` so the tests can see the job stop instead of hang.
using var g = ProcessGroups.Create("mpi", deviceIsCuda: false);
if (args.Length == 2 && args[0] == "fail" && int.Parse(args[1]) == g.Rank)
    g.Abort(3, "probe failure requested");
var v = new float[] { g.Rank + 1, 10 * (g.Rank + 1) };
g.AllReduceSum(v.AsSpan());
var b = new float[] { g.Rank == 0 ? 42f : 0f };
g.Broadcast(b.AsSpan(), 0);
var gathered = new float[g.WorldSize];
g.AllGather(new float[] { g.Rank }, gathered);
using var t = Tensor.FromArray(Device.Cpu, new float[] { g.Rank, 1 }, 2);
g.AllReduceSum(t);
g.Barrier();
Console.WriteLine($"rank {g.Rank}/{g.WorldSize}: sum={v[0]},{v[1]} bcast={b[0]} gather={string.Join(",", gathered)} tensor={string.Join(",", t.ToArray())}");
