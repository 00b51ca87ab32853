using System.Globalization;
using RobustSeg.Engine;
using RobustSeg.Models;

namespace RobustSeg.Benchmarks;

/// <summary>`robustseg bench model`: whole-model timings. model_fwd = eval-mode forward without the tape;
/// model_train_step = train-mode forward (all heads + aux) + loss (main + 0.4 aux [+ mask CE]) + backward into
/// every weight; model_attack_step = eval-mode forward + CE + gradient w.r.t. the input only.
/// The training step runs at batch >= 2: batch norm in training mode cannot normalise the 1x1 pooled
/// PPM / ASPP branches of a single image (PyTorch refuses it too).</summary>
public sealed class ModelBench : IBenchSuite
{
    public string Name => "model";
    public string Description => "Whole-model forward, training step and attack step (input gradient) timings";

    public IReadOnlyList<BenchOption> Options { get; } =
    [
        new("arch", "psp", "psp or aspp"),
        new("layers", "50", "ResNet depth (18, 34 basic blocks; 50, 101 bottleneck)"),
        new("classes", "21", "number of classes"),
        new("size", "225", "input side ((size-1) % 8 == 0)"),
        new("batch", "1", "batch size"),
        new("width", "1", "channel width multiplier"),
        new("ddcat", "false", "DDC-AT heads (true/false)"),
        new("cases", "fwd,train,attack", "which rows to run (also: tape = eval forward recording the tape, no backward)"),
        new("profile", "false", "also time every op of a few profiled runs of each case: a per-op table on stderr and <case>_op rows", Flag: true),
        BenchOption.Serve("the one case of --cases", "bench_model.py"),
        new("profile-shapes", "false", "--profile with one row per convolution geometry (images, channels, map, stride, padding, dilation) instead of per kernel shape", Flag: true),
    ];

    public IEnumerable<BenchRow> Run(BenchContext ctx)
    {
        var dev = ctx.Device;
        var cfg = new ModelConfig(ctx.Get("arch"), ctx.Int("layers"), ctx.Int("classes"), 8,
            bool.Parse(ctx.Get("ddcat")), ctx.Double("width"), 0.1f, 1).Validate();
        int size = ctx.Int("size"), batch = ctx.Int("batch");
        var cases = ctx.Set("cases", "fwd", "train", "attack", "tape");
        bool serve = ctx.Serving(cases.Count, "case in --cases", "cases");
        ctx.Log($"building {cfg.Describe()} on {dev.Name}");
        using var model = ModelFactory.Create(cfg, dev);
        model.OutputSize(size);
        ctx.Log($"{model.ParameterCount():N0} parameters");
        var shape = $"{batch}x3x{size}x{size}";
        var name = $"{cfg.Arch}{cfg.Layers}{(cfg.Width != 1 ? "w" + cfg.Width.ToString(CultureInfo.InvariantCulture) : "")}{(cfg.Ddcat ? "-ddcat" : "")}";

        int trainBatch = Math.Max(2, batch);
        Tensor x, labels, xt, labelsT;
        using (Tensor.NoScope())
        {
            var rng = new Random(3);
            xt = F.RandUniform(dev, 1, -2f, 2f, trainBatch, 3, size, size).Persist();
            labelsT = Tensor.FromArray(dev, Enumerable.Range(0, trainBatch * size * size).Select(_ => rng.Next(cfg.Classes)).ToArray(), trainBatch, size, size).Persist();
            x = F.RandUniform(dev, 1, -2f, 2f, batch, 3, size, size).Persist();
            labels = Tensor.FromArray(dev, labelsT.ToIntArray().Take(batch * size * size).ToArray(), batch, size, size).Persist();
        }
        try
        {
            if (cases.Contains("fwd"))
            {
                model.Eval();
                Action run = () =>
                {
                    using var scope = Tensor.Scope();
                    using var ng = Autograd.NoGrad();
                    model.Run(x);
                };
                if (serve) { ctx.Serve(run); yield break; }
                var s = BenchRunner.Measure(run, ctx.Sync);
                yield return BenchRow.From("model_fwd", dev.Name, $"{name} {shape}", s);
                if (OpProfileRows.Wanted(ctx)) foreach (var r in OpProfileRows.Profile(ctx, run, "model_fwd_op", "fwd runs", $"{name} {shape}")) yield return r;
            }
            if (cases.Contains("train"))
            {
                model.Train();
                Action run = () =>
                {
                    using var scope = Tensor.Scope();
                    var o = model.Run(xt);
                    var loss = F.Add(F.CrossEntropy(o.Logits, labelsT), F.MulScalar(F.CrossEntropy(o.Aux!, labelsT), 0.4f));
                    if (o.MaskLogits is not null)
                    {
                        using var zeros = Tensor.ZerosInt(dev, trainBatch, size, size);
                        loss = F.Add(loss, F.CrossEntropy(o.MaskLogits, zeros));
                    }
                    loss.Backward();
                };
                if (serve) { ctx.Serve(run); yield break; }
                var s = BenchRunner.Measure(run, ctx.Sync);
                var profiled = OpProfileRows.Wanted(ctx) ? OpProfileRows.Profile(ctx, run, "model_train_step_op", "train runs", $"{name} {trainBatch}x3x{size}x{size}") : [];
                model.ZeroGrad();
                yield return BenchRow.From("model_train_step", dev.Name, $"{name} {trainBatch}x3x{size}x{size}", s);
                foreach (var r in profiled) yield return r;
            }
            if (cases.Contains("tape"))
            {
                // Diagnostic: the attack step's forward alone (tape recorded, input requires grad).
                model.Eval();
                Action run = () =>
                {
                    using var scope = Tensor.Scope();
                    var xi = x.Detach();
                    xi.RequiresGrad = true;
                    F.CrossEntropy(model.Run(xi).Logits, labels);
                };
                if (serve) { ctx.Serve(run); yield break; }
                var s = BenchRunner.Measure(run, ctx.Sync);
                yield return BenchRow.From("model_fwd_tape", dev.Name, $"{name} {shape}", s);
                if (OpProfileRows.Wanted(ctx)) foreach (var r in OpProfileRows.Profile(ctx, run, "model_fwd_tape_op", "tape runs", $"{name} {shape}")) yield return r;
            }
            if (cases.Contains("attack"))
            {
                model.Eval();
                Action run = () =>
                {
                    using var scope = Tensor.Scope();
                    var xi = x.Detach();
                    xi.RequiresGrad = true;
                    var loss = F.CrossEntropy(model.Run(xi).Logits, labels);
                    Autograd.Grad(loss, [xi]);
                };
                if (serve) { ctx.Serve(run); yield break; }
                var s = BenchRunner.Measure(run, ctx.Sync);
                yield return BenchRow.From("model_attack_step", dev.Name, $"{name} {shape}", s);
                if (OpProfileRows.Wanted(ctx)) foreach (var r in OpProfileRows.Profile(ctx, run, "model_attack_step_op", "attack runs", $"{name} {shape}")) yield return r;
            }
        }
        finally
        {
            x.Dispose(); labels.Dispose(); xt.Dispose(); labelsT.Dispose();
            foreach (var p in model.Parameters()) p.Grad?.Dispose();
        }
    }
}
