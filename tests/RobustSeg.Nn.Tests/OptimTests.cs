namespace RobustSeg.Nn.Tests;

public class OptimTests
{
    static Tensor Param(float[] v) { using (Tensor.NoScope()) { var t = Tensor.FromArray(Device.Cpu, v, v.Length).Persist(); t.RequiresGrad = true; return t; } }

    static void SetGrad(Tensor p, float[] g)
    {
        using (Tensor.NoScope()) { p.Grad?.Dispose(); p.Grad = Tensor.FromArray(Device.Cpu, g, g.Length).Persist(); }
    }

    [Test]
    public void SgdMatchesPyTorchFormula()
    {
        var p = Param([1f, -2f]);
        using var opt = new SGD([new ParamGroup("g", [("w", p)], lr: 0.1, momentum: 0.9, weightDecay: 0.01)]);
        double[] pv = [1, -2], buf = [0, 0];
        float[][] grads = [[0.5f, 0.25f], [-1f, 2f], [0.1f, 0.1f]];
        for (int s = 0; s < grads.Length; s++)
        {
            SetGrad(p, grads[s]);
            opt.Step();
            for (int i = 0; i < 2; i++)
            {
                double d = grads[s][i] + 0.01 * pv[i];
                buf[i] = s == 0 ? d : 0.9 * buf[i] + d;
                pv[i] -= 0.1 * buf[i];
            }
            var got = p.ToArray();
            Assert.That(got[0], Is.EqualTo(pv[0]).Within(1e-6));
            Assert.That(got[1], Is.EqualTo(pv[1]).Within(1e-6));
        }
        Assert.That(opt.StepCount, Is.EqualTo(3));
        p.Grad!.Dispose(); p.Dispose();
    }

    [Test]
    public void GroupsHaveTheirOwnLrAndPolyScalesThem()
    {
        var a = Param([1f]); var b = Param([1f]);
        using var opt = new SGD([new ParamGroup("backbone", [("a", a)], 0.01, 0, 0), new ParamGroup("heads", [("b", b)], 0.1, 0, 0)]);
        var poly = new PolyLR(opt, 100);
        poly.Apply(50);
        double f = Math.Pow(0.5, 0.9);
        Assert.That(opt.Groups[0].Lr, Is.EqualTo(0.01 * f).Within(1e-12));
        Assert.That(opt.Groups[1].Lr, Is.EqualTo(0.1 * f).Within(1e-12));
        SetGrad(a, [1f]); SetGrad(b, [1f]);
        opt.Step();
        Assert.That(a.ToArray()[0], Is.EqualTo(1 - 0.01 * f).Within(1e-6));
        Assert.That(b.ToArray()[0], Is.EqualTo(1 - 0.1 * f).Within(1e-6));
        poly.Apply(100);
        Assert.That(opt.Groups[0].Lr, Is.EqualTo(0));
        Assert.That(PolyLR.Factor(0, 10), Is.EqualTo(1));
        Assert.Throws<ArgumentException>(() => new PolyLR(opt, 0));
        foreach (var t in new[] { a, b }) { t.Grad!.Dispose(); t.Dispose(); }
    }

    [Test]
    public void ParameterInTwoGroupsIsRejected()
    {
        var a = Param([1f]);
        Assert.Throws<ArgumentException>(() => new SGD([new ParamGroup("x", [("a", a)], 0.1), new ParamGroup("y", [("a", a)], 0.1)]));
        a.Dispose();
    }

    [Test]
    public void SkipsParametersWithoutGradient()
    {
        var a = Param([3f]);
        using var opt = new SGD([new ParamGroup("x", [("a", a)], 0.1)]);
        opt.Step();
        Assert.That(a.ToArray()[0], Is.EqualTo(3f));
        Assert.That(opt.MomentumBuffers, Is.Empty);
        a.Dispose();
    }
}
