namespace RobustSeg.Engine.Tests;

/// <summary>Tape behaviour: work skipped by Autograd.Grad (counted GEMMs), NoGrad, accumulation,
/// RequiresGrad propagation, and lifetimes of tape tensors under scopes and the buffer pool.</summary>
public class AutogradTests
{
    // x: (4, 3), W: (5, 3); y = x @ W^T (4, 5); loss = sum(y).
    static readonly float[] XData = [1, 2, 3, -1, 0.5f, 2, 0, -2, 1, 3, 1, -1];
    static readonly float[] WData = [0.5f, -1, 2, 1, 1, 1, -0.5f, 0, 3, 2, -2, 0.25f, 0, 1, -1];

    static (Tensor X, Tensor W) Leaves(Device d, bool xGrad, bool wGrad)
    {
        var x = Tensor.FromArray(d, XData, 4, 3);
        var w = Tensor.FromArray(d, WData, 5, 3);
        x.RequiresGrad = xGrad;
        w.RequiresGrad = wGrad;
        return (x, w);
    }

    static Tensor Loss(Tensor x, Tensor w) => F.Sum(F.MatMul(x, w, transB: true));

    static long Gemms(Device d) => d.Kernels.LaunchCounts.GetValueOrDefault("gemm");

    /// <summary>d sum(x W^T) / dx[i, p] = sum_j W[j, p]; d / dW[j, p] = sum_i x[i, p].</summary>
    static float[] ColumnSumsRepeated(float[] m, int rows, int repeat)
    {
        var s = new float[3];
        for (int r = 0; r < rows; r++) for (int p = 0; p < 3; p++) s[p] += m[r * 3 + p];
        return Enumerable.Range(0, repeat).SelectMany(_ => s).ToArray();
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void GradForTheInputOnlyRunsOneBackwardGemm(string device)
    {
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var (x, w) = Leaves(d, true, true);
        long before = Gemms(d);
        var loss = Loss(x, w);
        Assert.That(Gemms(d) - before, Is.EqualTo(1), "forward");
        var dx = Autograd.Grad(loss, [x])[0];
        Assert.That(Gemms(d) - before, Is.EqualTo(2), "forward 1 + backward 1: the weight gradient is skipped");
        Assert.That(dx.ToArray(), Is.EqualTo(ColumnSumsRepeated(WData, 5, 4)).Within(1e-5f));
        Assert.That(x.Grad, Is.Null, "Autograd.Grad does not touch .Grad");
        Assert.That(w.Grad, Is.Null);
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void BackwardWithBothLeavesRunsTwoBackwardGemms(string device)
    {
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var (x, w) = Leaves(d, true, true);
        long before = Gemms(d);
        Loss(x, w).Backward();
        Assert.That(Gemms(d) - before, Is.EqualTo(3));
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(ColumnSumsRepeated(WData, 5, 4)).Within(1e-5f));
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(ColumnSumsRepeated(XData, 4, 5)).Within(1e-5f));
        x.Grad.Dispose(); w.Grad.Dispose();
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void BackwardSkipsTheGemmOfALeafThatNeedsNoGrad(string device)
    {
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var (x, w) = Leaves(d, false, true);
        long before = Gemms(d);
        Loss(x, w).Backward();
        Assert.That(Gemms(d) - before, Is.EqualTo(2));
        Assert.That(x.Grad, Is.Null);
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(ColumnSumsRepeated(XData, 4, 5)).Within(1e-5f));
        w.Grad.Dispose();
    }

    [Test]
    public void NoGradRecordsNothing()
    {
        var d = Device.Cpu;
        using var s = Tensor.Scope();
        var (x, w) = Leaves(d, true, true);
        Tensor loss;
        using (Autograd.NoGrad())
        {
            Assert.That(Autograd.IsEnabled, Is.False);
            loss = Loss(x, w);
        }
        Assert.That(Autograd.IsEnabled, Is.True);
        Assert.That(loss.RequiresGrad, Is.False);
        Assert.That(loss.GradFn, Is.Null);
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(e!.Message, Does.Contain("does not require grad"));
        // The same computation outside NoGrad records a node again.
        Assert.That(Loss(x, w).GradFn, Is.Not.Null);
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void BackwardAccumulatesAndZeroGradClears(string device)
    {
        var d = TestDevices.Get(device);
        using var s = Tensor.Scope();
        var (x, w) = Leaves(d, true, false);
        Loss(x, w).Backward();
        var once = x.Grad!.ToArray();
        Loss(x, w).Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(once.Select(v => 2 * v).ToArray()).Within(1e-5f));
        x.ZeroGrad();
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(0f));
        x.Grad.Dispose();
    }

    [Test]
    public void RequiresGradPropagatesThroughOps()
    {
        var d = Device.Cpu;
        using var s = Tensor.Scope();
        var a = Tensor.FromArray(d, new[] { 1f, 2f }, 2);
        var c = Tensor.FromArray(d, new[] { 3f, 4f }, 2);
        a.RequiresGrad = true;
        var ac = F.Mul(a, c);
        var cc = F.Mul(c, c);
        Assert.That(ac.RequiresGrad, Is.True);
        Assert.That(ac.IsLeaf, Is.False);
        Assert.That(ac.GradFn!.Op, Is.EqualTo("mul"));
        Assert.That(cc.RequiresGrad, Is.False);
        Assert.That(cc.IsLeaf, Is.True);
        var mixed = F.Add(cc, ac);
        Assert.That(mixed.RequiresGrad, Is.True);
        Assert.That(ac.Detach().RequiresGrad, Is.False);
        // d sum(c*c + a*c) / da = c
        Assert.That(Autograd.Grad(F.Sum(mixed), [a])[0].ToArray(), Is.EqualTo(new[] { 3f, 4f }));
    }

    [Test]
    public void ScopeKeepsOnlyWhatIsKeptIncludingTapeIntermediates()
    {
        var d = Device.Cpu;
        var (x, w) = Leaves(d, true, false);
        Tensor y, loss, dx;
        using (var scope = Tensor.Scope())
        {
            y = F.MatMul(x, w, transB: true);
            loss = F.Sum(y);
            dx = scope.Keep(Autograd.Grad(loss, [x])[0]);
        }
        Assert.That(y.IsDisposed, Is.True);
        Assert.That(loss.IsDisposed, Is.True);
        Assert.That(dx.IsDisposed, Is.False);
        Assert.That(x.IsDisposed, Is.False, "tensors created outside the scope are not its to dispose");
        Assert.That(dx.ToArray(), Is.EqualTo(ColumnSumsRepeated(WData, 5, 4)).Within(1e-5f));
        dx.Dispose(); x.Dispose(); w.Dispose();
    }

    [Test]
    public void ToStringOfASmallTensorShowsGradFlagAndValues()
    {
        using var s = Tensor.Scope();
        var t = Tensor.FromArray(Device.Cpu, new[] { 0.5f, -2f, 3f }, 3);
        t.RequiresGrad = true;
        var text = t.ToString();
        Assert.That(text, Does.StartWith("tensor([3], float32, cpu, requires_grad)"));
        Assert.That(text, Does.Contain("[0.5, -2, 3]"));
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.Names))]
    public void PoolLiveBytesReturnAfterForwardAndBackwardInAScope(string device)
    {
        var d = TestDevices.Get(device);
        var (x, w) = Leaves(d, true, true);
        long live0 = d.Pool.LiveBytes;
        for (int round = 0; round < 2; round++)
        {
            using (Tensor.Scope())
            {
                var loss = Loss(x, w);
                var g = Autograd.Grad(loss, [x, w]);
                Assert.That(g, Has.Length.EqualTo(2));
                Assert.That(d.Pool.LiveBytes, Is.GreaterThan(live0));
            }
            Assert.That(d.Pool.LiveBytes, Is.EqualTo(live0), $"round {round}");
        }
        x.Dispose(); w.Dispose();
    }

    [Test]
    public void GradOfAnUnreachedInputIsAnErrorUnlessAllowed()
    {
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(Device.Cpu, [1f, 2f], 2);
        var unused = Tensor.FromArray(Device.Cpu, [3f, 4f], 2);
        x.RequiresGrad = true; unused.RequiresGrad = true;
        var loss = F.Sum(F.Mul(x, x));
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Grad(loss, [x, unused]))!;
        Assert.That(e.Message, Does.Contain("input 1").And.Contain("allowUnused"));
        var g = Autograd.Grad(loss, [x, unused], allowUnused: true);
        Assert.That(g[0].ToArray(), Is.EqualTo(new[] { 2f, 4f }));
        Assert.That(g[1].ToArray(), Is.EqualTo(new[] { 0f, 0f }));
    }

    [Test]
    public void NonDifferentiableOpRefusesAnInputThatRequiresGrad()
    {
        using var s = Tensor.Scope();
        var x = Tensor.FromArray(Device.Cpu, [0.5f, 0.5f], 2);
        var g = Tensor.FromArray(Device.Cpu, [1f, -1f], 2);
        x.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => F.AttackStep(x, g, x, 0.1f, 0.2f))!;
        Assert.That(e.Message, Does.Contain("attack_step"));
        using (Autograd.NoGrad()) Assert.That(F.AttackStep(x, g, x, 0.1f, 0.2f).ToArray(), Is.EqualTo(new[] { 0.6f, 0.4f }).Within(1e-6));
    }
}
