using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine.IO;

namespace RobustSeg.Adversarial.Tests;

/// <summary>APGD's bookkeeping (<see cref="ApgdSchedule"/>) against the reference loop re-written in torch
/// (scripts/gen_apgd_trace_reference.py): on scripted loss sequences that sit on the rules' edges, and as a
/// whole loop (steps, momentum, restarts from the best point) on a fixed toy landscape.</summary>
public class ApgdTraceTests
{
    static readonly Dictionary<string, NpyArray> Ref =
        Npy.ReadNpz(Path.Combine(AppContext.BaseDirectory, "Data", "torch", "apgd_trace.npz"));

    static double[][] Rows(NpyArray a)
    {
        int r = a.Shape[0], c = a.Shape[1];
        return Enumerable.Range(0, r).Select(i => a.Data.Skip(i * c).Take(c).ToArray()).ToArray();
    }

    static readonly double Eps = Ref["eps"].Data[0];
    static readonly int T = (int)Ref["iterations"].Data[0];

    [Test]
    public void CheckpointsAreTheReferenceCounterOnes()
    {
        Assert.That(ApgdSchedule.Checkpoints(100), Is.EqualTo(new[] { 21, 40, 56, 69, 79, 86, 92, 98 }));
        Assert.That(ApgdSchedule.Checkpoints(1), Is.EqualTo(new[] { 0 }));
        // SEA's 300 iterations split 90 / 90 / 120 over the radii.
        Assert.That(ApgdSchedule.Checkpoints(90)[..3], Is.EqualTo(new[] { 18, 35, 50 }));
    }

    [Test]
    public void ScriptedLossesGiveTheReferenceStepSizes()
    {
        var losses = Rows(Ref["sched_losses"]);
        var expected = Rows(Ref["sched_steps"]);
        var s = new ApgdSchedule(T, Eps, Ref["sched_init"].Data);
        for (int i = 0; i < T; i++)
        {
            s.Step(i, losses[i]);
            Assert.That(s.StepSize, Is.EqualTo(expected[i]).Within(1e-15), $"iteration {i}");
        }
        // The edge rows did what they were built for (so the comparison is not vacuous).
        Assert.That(expected[T - 1][0], Is.EqualTo(2 * Eps), "increasing losses: never reduced");
        Assert.That(expected[56][2], Is.EqualTo(Eps), "12 of 16 increases: reduced (<=)");
        Assert.That(expected[21][3], Is.EqualTo(2 * Eps), "condition 2 off at the first checkpoint");
        Assert.That(expected[40][3], Is.EqualTo(Eps), "condition 2 on at the second");
        Assert.That(expected[21][4], Is.EqualTo(Eps), "loss[-1] is the buffer's zero row");
    }

    [TestCase("same")]
    [TestCase("tracked")]
    public void ToyLandscapeTraceEqualsTheReference(string variant)
    {
        var a = Rows(Ref["a"]); var w = Rows(Ref["w"]); var p = Rows(Ref["p"]); var b = Ref["b"].Data;
        var x0 = Rows(Ref["x0"]);
        double Sum(double[] x) => x.Sum();
        double Fn(int j, double[] x) => x.Select((v, d) => a[j][d] * Math.Sin(w[j][d] * v + p[j][d])).Sum() + b[j] * Sum(x) * Sum(x);
        double[] Grad(int j, double[] x)
        {
            double s = Sum(x);
            return x.Select((v, d) => a[j][d] * w[j][d] * Math.Cos(w[j][d] * v + p[j][d]) + 2 * b[j] * s).ToArray();
        }
        Func<int, double[], double> track = variant == "same" ? Fn : (j, x) => Fn(j, x) + 0.3 * Math.Cos(17 * Sum(x));
        var trace = ApgdToy.Run(Grad, track, x0, Eps, T);
        var steps = Rows(Ref[variant + "_steps"]);
        var loss = Rows(Ref[variant + "_loss"]);
        for (int i = 0; i < T; i++)
        {
            Assert.That(trace.StepSize[i], Is.EqualTo(steps[i]).Within(1e-15), $"step size after iteration {i}");
            Assert.That(trace.Loss[i], Is.EqualTo(loss[i]).Within(1e-9), $"loss at iteration {i}");
        }
    }

    [Test]
    public void GatedChainTraceEqualsTheReference()
    {
        // The loss rises for ~40 iterations, so the first checkpoints keep the step (the sine landscapes reduce at every one).
        var th = Ref["chain_th"].Data;
        var x0 = Rows(Ref["chain_x0"]);
        static double Relu(double v) => v > 0 ? v : 0;
        double Fn(int j, double[] x) { double s = x[0]; for (int d = 1; d < x.Length; d++) s += Relu(x[d - 1] - th[j]) * x[d]; return s; }
        double[] Grad(int j, double[] x)
        {
            var g = new double[x.Length];
            g[0] = 1;
            for (int d = 1; d < x.Length; d++) g[d] += Relu(x[d - 1] - th[j]);
            for (int d = 0; d < x.Length - 1; d++) if (x[d] > th[j]) g[d] += x[d + 1];
            return g;
        }
        var trace = ApgdToy.Run(Grad, Fn, x0, Eps, T);
        var steps = Rows(Ref["chain_steps"]);
        var loss = Rows(Ref["chain_loss"]);
        Assert.That(steps[40][0], Is.EqualTo(2 * Eps), "no reduction at the first two checkpoints");
        for (int i = 0; i < T; i++)
        {
            Assert.That(trace.StepSize[i], Is.EqualTo(steps[i]).Within(1e-15), $"step size after iteration {i}");
            Assert.That(trace.Loss[i], Is.EqualTo(loss[i]).Within(1e-9), $"loss at iteration {i}");
        }
    }
}
