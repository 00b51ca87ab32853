namespace RobustSeg.Engine.Cpu;

/// <summary>The host's Winograd convolution driver (<see cref="Winograd"/>): transforms and 16 batched GEMMs over
/// blocks of output and input channels, so the transformed weight, input and output stay under
/// <see cref="WinogradBlock"/> floats each whatever the layer (PSPNet's 4096-channel head included).</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Most floats of each transformed operand (16 MB): the transient stays well under the column buffers'.</summary>
    public static long WinogradBlock { get; set; } = 1L << 22;

    /// <summary>Forces the Winograd path on (true, where it applies) or off (false); null chooses by
    /// <see cref="Winograd.Pays"/>. Tests set it to reach both paths.</summary>
    public static bool? UseWinograd { get; set; }

    static bool UsesWinograd(in Conv2dGeom g, bool dataGradient = false) =>
        UseWinograd is { } force ? force && Winograd.Applies(g) : Winograd.Pays(g, dataGradient);

    /// <summary>y = conv(x, w) for a conv <see cref="Winograd.Applies"/> to, in a fixed order (deterministic): blocks of
    /// km output channels whose M is held while blocks of cc input channels are transformed and summed into it (beta 1
    /// after the first), each against the weight transformed ku output channels at a time. V is made once per input
    /// block and reused by every output block where all input channels fit one block. The kernel is read as
    /// <see cref="Winograd.TransformWeight"/> does: flipped, pw is the weight of the conv whose data gradient g is.</summary>
    void WinogradForward(in Conv2dGeom g, float* px, float* pw, bool flipped, float* py)
    {
        const int X = Winograd.Xi;
        int tiles = (g.N * Winograd.TilesPerImage(g) + Winograd.Lanes - 1) / Winograd.Lanes * Winograd.Lanes;
        long budget = WinogradBlock;
        int cc = (int)Math.Clamp(budget / ((long)X * tiles), 1, g.C);
        int km = (int)Math.Clamp(budget / ((long)X * tiles), 1, g.K);
        int ku = (int)Math.Clamp(budget / ((long)X * cc), 1, km);
        using var plan = Tensor.EmptyInt(Device, 3 * tiles);
        int* inOff = plan.IntPtr, outOff = inOff + tiles, flags = outOff + tiles;
        Winograd.Plan(g, tiles, inOff, outOff, flags);
        using var u = Tensor.Empty(Device, checked(X * ku * cc));
        using var v = Tensor.Empty(Device, checked(X * cc * tiles));
        using var m = Tensor.Empty(Device, checked(X * km * tiles));
        bool oneInputBlock = cc == g.C;
        for (int k0 = 0; k0 < g.K; k0 += km)
        {
            int kmn = Math.Min(km, g.K - k0);
            for (int c0 = 0; c0 < g.C; c0 += cc)
            {
                int cn = Math.Min(cc, g.C - c0);
                if (!oneInputBlock || k0 == 0)
                    Winograd.TransformInput(g, px, c0, cn, tiles, inOff, v.Ptr);
                for (int k1 = k0; k1 < k0 + kmn; k1 += ku)
                {
                    int kun = Math.Min(ku, k0 + kmn - k1);
                    Winograd.TransformWeight(g, pw, flipped, k1, kun, c0, cn, u.Ptr);
                    HostGemm.SgemmBatched(X, false, false, kun, tiles, cn, 1f, u.Ptr, cn, (long)kun * cn,
                        v.Ptr, tiles, (long)cn * tiles, c0 == 0 ? 0f : 1f, m.Ptr + (long)(k1 - k0) * tiles, tiles, (long)kmn * tiles);
                }
            }
            Winograd.TransformOutput(g, m.Ptr, k0, kmn, tiles, outOff, flags, py);
        }
    }
}
