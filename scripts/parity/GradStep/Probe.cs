using RobustSeg.Engine;

/// <summary>Op-level probe: the same small sub-graph (conv dil -> BN(train) -> ReLU -> conv dil, loss = sum(out*R))
/// on `cpu` and `ilgpu-cpu`; prints the relative difference of each gradient.</summary>
static class Probe
{
    public static void Run(string[] args)
    {
        int n = int.Parse(args[1]), c = int.Parse(args[2]), hw = int.Parse(args[3]), dil = int.Parse(args[4]);
        string what = args.Length > 5 ? args[5] : "all";
        var rng = new Random(3);
        float[] R(int k) => Enumerable.Range(0, k).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var xs = R(n * c * hw * hw); var w1 = R(c * c * 9); var w2 = R(c * c * 9); var gw = R(c); var gb = R(c); var r = R(n * c * hw * hw);
        var res = new Dictionary<string, float[]>[2];
        var devs = new[] { "cpu", "ilgpu-cpu" };
        for (int d = 0; d < 2; d++)
        {
            var dev = Device.Get(devs[d]);
            using var s = Tensor.Scope();
            var x = Tensor.FromArray(dev, xs, n, c, hw, hw); x.RequiresGrad = true;
            var W1 = Tensor.FromArray(dev, w1, c, c, 3, 3); W1.RequiresGrad = true;
            var W2 = Tensor.FromArray(dev, w2, c, c, 3, 3); W2.RequiresGrad = true;
            var G = Tensor.FromArray(dev, gw, c); G.RequiresGrad = true;
            var B = Tensor.FromArray(dev, gb, c); B.RequiresGrad = true;
            var rm = Tensor.Zeros(dev, c); var rv = Tensor.Full(dev, 1f, c);
            var h = what == "nobn" ? F.Conv2d(x, W1, null, 1, dil, dil) : F.BatchNorm2d(F.Conv2d(x, W1, null, 1, dil, dil), G, B, rm, rv, true);
            if (what != "norelu") h = F.Relu(h);
            var o = F.Conv2d(h, W2, null, 1, dil, dil);
            var loss = F.Sum(F.Mul(o, Tensor.FromArray(dev, r, n, c, hw, hw)));
            loss.Backward();
            res[d] = new() { ["x"] = x.Grad!.ToArray(), ["W1"] = W1.Grad!.ToArray(), ["W2"] = W2.Grad!.ToArray(), ["G"] = G.Grad?.ToArray() ?? [], ["B"] = B.Grad?.ToArray() ?? [] };
        }
        foreach (var k in res[0].Keys)
        {
            var a = res[0][k]; var b = res[1][k];
            double num = 0, den = 0, mx = 0; int arg = -1;
            for (int i = 0; i < a.Length; i++) { double e = a[i] - b[i]; num += e * e; den += (double)b[i] * b[i]; if (Math.Abs(e) > mx) { mx = Math.Abs(e); arg = i; } }
            Console.WriteLine($"{k}: rel {Math.Sqrt(num / Math.Max(den, 1e-30)):E2} maxabs {mx:E2} at {arg}");
        }
    }
}
