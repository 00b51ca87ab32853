using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>Winograd F(2x2, 3x3) for the host's "same" 3x3 stride-1 convolutions (pad = dilation): each 2x2 block of
/// outputs costs 16 multiply-adds per channel pair instead of 36. A dilated conv is d x d independent undilated convs
/// on the image's polyphase grids, so a tile is 2x2 outputs d apart reading a 4x4 input patch d apart; tiles are listed
/// per phase (<see cref="Plan"/>), so a 17x17 map at rate 4 needs 81 tiles, not a padded grid's 144.
/// y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A per tile, summed over channels as 16 GEMMs (one per tile element ξ):
/// M[ξ] (K x tiles) = U[ξ] (K x C) · V[ξ] (C x tiles). The transforms' constants are 0, ±1 and ½ (exact in floats),
/// so the sums differ from the direct one only in their order and a few more roundings. Vectorised over 8 tiles (AVX2),
/// each vector built from scalar loads of a padded copy of the image, so it runs on both the AVX2 and AVX-512 paths.</summary>
public static unsafe class Winograd
{
    /// <summary>Tile elements (4 x 4), i.e. GEMMs per convolution.</summary>
    public const int Xi = 16;

    /// <summary>Tiles per vector of the transforms (Vector256).</summary>
    public const int Lanes = 8;

    /// <summary>A 3x3 stride-1 conv with pad = dilation and the output the input's size, on a path with AVX2.</summary>
    public static bool Applies(in Conv2dGeom g) =>
        g.Kh == 3 && g.Kw == 3 && g.Stride == 1 && g.Pad == g.Dil && g.Ho == g.H && g.Wo == g.W
        && HostSimd.Current != HostSimdPath.Portable && Avx2.IsSupported;

    /// <summary>Fewest input and output channels for the transforms (per channel and tile) to be paid for by the GEMMs'
    /// saving (per channel pair and tile): 256 for a forward (at 128 it ties with the packed and direct paths, at 64 it
    /// is 1.4-1.5x slower), 128 for a data gradient (0.68-0.86 of col2im's time; against the forward packed from dy or
    /// read in place, 0.89-0.94 at rate 1 and 0.91-1.02 at rate 2, 17x17, batch 2 and 4), measured in paired runs on an
    /// AVX-512 Ice Lake; on the AVX2 path, paired on Zen 5, 128-channel data gradients at 17x17 took 0.73-0.97 of the
    /// time without it. On AVX-512 a data gradient needs 256 (<see cref="MinChannelsDataGradAvx512"/>).</summary>
    public const int MinChannels = 256, MinChannelsDataGrad = 128;

    /// <summary>A data gradient's fewest channels on the AVX-512 path: on Zen 5 (paired CLI runs, separate processes) the
    /// 128-channel data gradients ran in 0.82-0.89 of Winograd's time without it (17x17 at rates 1 and 2, batch 2 and 4;
    /// 29x29 and 33x33), while from 256 channels Winograd stays ahead (rate 4 at 17x17 and 29x29: 1.05-1.13 without).
    /// Ice Lake had measured 128 channels 0.89-1.02 in Winograd's favour; the newer measurement sets the rule.</summary>
    public const int MinChannelsDataGradAvx512 = 256;

    /// <summary>On the AVX2 path (half the multiply-adds per cycle, the transforms as dear as on AVX-512) a forward pays
    /// from 64 channels while the batch has at most <see cref="MaxTilesAvx2"/> tiles (its transformed operands stay in
    /// cache): 0.59-0.73 of the packed path's time at 128 channels (17x17 at rates 1 and 2, 29x29, 57x57), 0.81 at 64
    /// channels 17x17 and 0.96 at 57x57; with 1156 or more tiles 1.06-1.22, and at 32 channels 1.14-2.55 (paired in one
    /// process, Ice Lake running the AVX2 path).</summary>
    public const int MinChannelsAvx2 = 64, MaxTilesAvx2 = 1024;

    /// <summary>Most multiply-adds, as a share of the direct sum's over the taps that read inside the map, for the
    /// Winograd path to be taken: tiles that overhang the map compute outputs that are dropped, and every tile
    /// multiplies the padding its patch covers. At 0.66 (rate 4 at 29x29) and 0.70 (rate 4 at 17x17) it ran at 0.76-0.89
    /// of the packed path's time; at 0.82 (ASPP rate 6 at 29x29) at 1.08 for the forward.</summary>
    public const double MaxMacShare = 0.75;

    /// <summary>Whether g runs as Winograd by default: it applies, both channel counts reach <see cref="MinChannels"/>
    /// (<see cref="MinChannelsDataGrad"/>, on AVX-512 <see cref="MinChannelsDataGradAvx512"/>, where g is a data
    /// gradient's flipped convolution; on AVX2 a forward also by
    /// <see cref="MinChannelsAvx2"/>), and its multiply-adds are at most <see cref="MaxMacShare"/> of the direct sum's.</summary>
    public static bool Pays(in Conv2dGeom g, bool dataGradient = false)
    {
        if (!Applies(g) || MacShare(g) > MaxMacShare) return false;
        int channels = Math.Min(g.C, g.K);
        if (dataGradient) return channels >= (HostSimd.Current == HostSimdPath.Avx512 ? MinChannelsDataGradAvx512 : MinChannelsDataGrad);
        return channels >= MinChannels
            || HostSimd.Current == HostSimdPath.Avx2 && channels >= MinChannelsAvx2 && (long)g.N * TilesPerImage(g) <= MaxTilesAvx2;
    }

    /// <summary>Winograd's multiply-adds over the direct sum's, counting only the taps that read inside the map.</summary>
    public static double MacShare(in Conv2dGeom g) => (double)Xi * TilesPerImage(g) / TapConv.LiveTaps(g);

    /// <summary>Tiles along one side of n outputs at dilation d: ceil(n_r / 2) for each phase r's n_r outputs.</summary>
    static int TilesAlong(int n, int d)
    {
        int t = 0;
        for (int r = 0; r < d && r < n; r++) t += ((n - r + d - 1) / d + 1) / 2;
        return t;
    }

    public static int TilesPerImage(in Conv2dGeom g) => TilesAlong(g.Ho, g.Dil) * TilesAlong(g.Wo, g.Dil);

    /// <summary>The padded copy's sides: d rows or columns of zeros before the image, 2d after (a tile's 4x4 patch
    /// reaches 3d past its first output, which may be the map's last).</summary>
    public static int PaddedH(in Conv2dGeom g) => g.H + 3 * g.Dil;
    public static int PaddedW(in Conv2dGeom g) => g.W + 3 * g.Dil;

    /// <summary>Tile flags: the tile exists (not a lane of padding past the last), and its right and lower output
    /// columns/rows lie inside the map; the bits from <see cref="ImageShift"/> on hold the tile's image.</summary>
    public const int Live = 1, Right = 2, Below = 4, ImageShift = 3;

    /// <summary>The tiles of g's N images, phase row by phase row, padded to a multiple of <see cref="Lanes"/>:
    /// tile t's patch starts at in[t] in the padded images ([image][Hp][Wp] per channel), its first output at out[t]
    /// in its image's output plane (Ho x Wo), flags[t] as <see cref="Live"/> (so y's offsets, N K Ho Wo floats, need
    /// no int).</summary>
    public static void Plan(in Conv2dGeom g, int tiles, int* inOff, int* outOff, int* flags)
    {
        int d = g.Dil, hp = PaddedH(g), wp = PaddedW(g), t = 0;
        for (int n = 0; n < g.N; n++)
        for (int r = 0; r < d && r < g.Ho; r++)
        for (int oh = r; oh < g.Ho; oh += 2 * d)
        for (int s = 0; s < d && s < g.Wo; s++)
        for (int ow = s; ow < g.Wo; ow += 2 * d, t++)
        {
            inOff[t] = (n * hp + oh) * wp + ow;              // padded row oh is input row oh - d: the patch's first
            outOff[t] = oh * g.Wo + ow;
            flags[t] = Live | (ow + d < g.Wo ? Right : 0) | (oh + d < g.Ho ? Below : 0) | n << ImageShift;
        }
        for (; t < tiles; t++) { inOff[t] = 0; outOff[t] = 0; flags[t] = 0; }
    }

    /// <summary>U[ξ][k][c] (ξ-planes kc x cc, row stride cc) = (G g[k0 + k, c0 + c] Gᵀ)[ξ] for g's kernel
    /// (K x C x 3 x 3): w itself, or, flipped (g a data gradient's convolution), w of the forward conv (C x K x 3 x 3)
    /// read transposed with its taps reversed, so the flipped kernel is never copied. G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
    /// Eight channels at a time, their 9 taps 9 floats apart (9 K apart flipped): the first 8 taps of the 8 filters loaded
    /// as rows and transposed in registers, the ninth gathered (from 72 scalar loads: 0.91-0.96 of a 256- or 512-channel
    /// rate-4 forward's or data gradient's time, paired on Zen 5, AVX-512 and AVX2).</summary>
    public static void TransformWeight(in Conv2dGeom g, float* w, bool flipped, int k0, int kc, int c0, int cc, float* u)
    {
        var G = g;
        int groups = (cc + Lanes - 1) / Lanes;
        HostParallel.For((long)kc * groups, Math.Max(1, 256 / Lanes), (s, e) =>
        {
            var half = Vector256.Create(0.5f);
            var m = stackalloc Vector256<float>[9];
            long step = flipped ? 9L * G.K : 9;
            for (long kg = s; kg < e; kg++)
            {
                int k = (int)(kg / groups), c = (int)(kg % groups) * Lanes, live = Math.Min(Lanes, cc - c);
                float* src = w + (flipped ? (long)(c0 + c) * G.K + k0 + k : (long)(k0 + k) * G.C + c0 + c) * 9;
                var mask = LaneMask(live);
                if (live == Lanes && Avx.IsSupported)
                {
                    // The 8 filters' first 8 taps (8 contiguous floats each) transposed in registers into m (flipped: row
                    // element j is tap 8 - j, so written from m[8] down), the ninth gathered. Inline, not through
                    // HostGemm.TransposeRows: that call per 8 filters measured 1.05-1.08x.
                    HostGemm.Transpose8x8(Avx.LoadVector256(src), Avx.LoadVector256(src + step), Avx.LoadVector256(src + 2 * step),
                        Avx.LoadVector256(src + 3 * step), Avx.LoadVector256(src + 4 * step), Avx.LoadVector256(src + 5 * step),
                        Avx.LoadVector256(src + 6 * step), Avx.LoadVector256(src + 7 * step),
                        (float*)(flipped ? m + 8 : m), flipped ? -Lanes : Lanes);
                    m[flipped ? 0 : 8] = Gather8.Strided(src + 8, step, Lanes);
                }
                else
                    for (int t = 0; t < 9; t++)
                        m[t] = Gather8.Strided(src + (flipped ? 8 - t : t), step, live);
                // Rows of G g (4 x 3), then each row times Gᵀ (4 x 4).
                for (int i = 0; i < 4; i++)
                {
                    Vector256<float> a, b, cv;
                    if (i == 0) (a, b, cv) = (m[0], m[1], m[2]);
                    else if (i == 3) (a, b, cv) = (m[6], m[7], m[8]);
                    else
                    {
                        var sign = i == 1 ? 1f : -1f;
                        a = (m[0] + m[6] + m[3] * sign) * half;
                        b = (m[1] + m[7] + m[4] * sign) * half;
                        cv = (m[2] + m[8] + m[5] * sign) * half;
                    }
                    float* dst = u + ((long)(4 * i) * kc + k) * cc + c;
                    long plane = (long)kc * cc;
                    Store(a, dst, mask, live);
                    Store((a + b + cv) * half, dst + plane, mask, live);
                    Store((a - b + cv) * half, dst + 2 * plane, mask, live);
                    Store(cv, dst + 3 * plane, mask, live);
                }
            }
        });
    }

    /// <summary>V[ξ][c][t] (ξ-planes cc x tiles, row stride tiles) = (Bᵀ d B)[ξ] of tile t's 4x4 patch of input channel
    /// c0 + c of x (N x C x H x W), Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Each task pads a channel's N planes, d
    /// zeros before and 2d after (<see cref="PaddedH"/>), into its own scratch and transforms every tile of that channel
    /// from there while it is in L1: against a padded copy of every channel first, written to memory and read back, the
    /// 256- and 512-channel convs at 17x17 and PSPNet-50's head took 0.94-1.01 of the time (median 0.97; paired, Ice Lake),
    /// and the copy's buffer (up to 16 MB) is gone.</summary>
    public static void TransformInput(in Conv2dGeom g, float* x, int c0, int cc, int tiles, int* inOff, float* v)
    {
        var G = g;
        int groups = tiles / Lanes;
        int hp = PaddedH(g), wp = PaddedW(g);
        long plane = (long)g.N * hp * wp;
        HostParallel.For(cc, Math.Max(1, 64 / groups), (s, e) =>
        {
            int d = G.Dil;
            float* xp = HostGemm.Scratch(ref _plane, checked((int)plane));
            var p = stackalloc Vector256<float>[16];
            long vPlane = (long)cc * tiles;
            for (long c = s; c < e; c++)
            {
                for (int n = 0; n < G.N; n++)
                    DirectConv.PadPlane(x + ((long)n * G.C + c0 + c) * G.H * G.W, G.H, G.W, xp + (long)n * hp * wp, d, d, hp, wp);
                for (int t = 0; t < tiles; t += Lanes)
                {
                    int* o = inOff + t;
                    for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        p[4 * i + j] = Gather8.At(xp + d * (i * wp + j), o);
                    // Bᵀ on the columns of the patch, then B on each row.
                    for (int j = 0; j < 4; j++)
                    {
                        var (a, b, cv, dv) = (p[j], p[4 + j], p[8 + j], p[12 + j]);
                        (p[j], p[4 + j], p[8 + j], p[12 + j]) = (a - cv, b + cv, cv - b, b - dv);
                    }
                    float* dst = v + c * tiles + t;
                    for (int i = 0; i < 4; i++)
                    {
                        var (a, b, cv, dv) = (p[4 * i], p[4 * i + 1], p[4 * i + 2], p[4 * i + 3]);
                        Vector256.Store(a - cv, dst + (4 * i) * vPlane);
                        Vector256.Store(b + cv, dst + (4 * i + 1) * vPlane);
                        Vector256.Store(cv - b, dst + (4 * i + 2) * vPlane);
                        Vector256.Store(b - dv, dst + (4 * i + 3) * vPlane);
                    }
                }
            }
        });
    }

    [ThreadStatic] static float[]? _plane;

    /// <summary>y (channels [k0, k0 + kc)) = Aᵀ M[·][k][t] A for every tile t, Aᵀ = [1 1 1 0; 0 1 -1 -1]: M's planes
    /// kc x tiles (row stride tiles); each tile's up to 4 outputs stored where the plan puts them.</summary>
    public static void TransformOutput(in Conv2dGeom g, float* m, int k0, int kc, int tiles, int* outOff, int* flags, float* y)
    {
        var G = g;
        int groups = tiles / Lanes;
        HostParallel.For((long)kc * groups, Math.Max(1, 512 / Lanes), (s, e) =>
        {
            int d = G.Dil, below = d * G.Wo;
            long plane = (long)kc * tiles, spatial = (long)G.Ho * G.Wo;
            var q = stackalloc Vector256<float>[16];
            var o = stackalloc float[4 * Lanes];
            for (long kg = s; kg < e; kg++)
            {
                int k = (int)(kg / groups), t = (int)(kg % groups) * Lanes;
                float* src = m + (long)k * tiles + t;
                for (int x = 0; x < 16; x++) q[x] = Vector256.Load(src + x * plane);
                // Aᵀ on the columns (4 rows -> 2), then A on each of the 2 rows (4 columns -> 2).
                for (int j = 0; j < 4; j++)
                    (q[j], q[4 + j]) = (q[j] + q[4 + j] + q[8 + j], q[4 + j] - q[8 + j] - q[12 + j]);
                for (int i = 0; i < 2; i++)
                {
                    var (a, b, cv, dv) = (q[4 * i], q[4 * i + 1], q[4 * i + 2], q[4 * i + 3]);
                    Vector256.Store(a + b + cv, o + (2 * i) * Lanes);
                    Vector256.Store(b - cv - dv, o + (2 * i + 1) * Lanes);
                }
                for (int l = 0; l < Lanes; l++)
                {
                    int f = flags[t + l];
                    if (f == 0) continue;
                    float* dst = y + ((long)(f >> ImageShift) * G.K + k0 + k) * spatial + outOff[t + l];
                    dst[0] = o[l];
                    if ((f & Right) != 0) dst[d] = o[Lanes + l];
                    if ((f & Below) != 0)
                    {
                        dst[below] = o[2 * Lanes + l];
                        if ((f & Right) != 0) dst[below + d] = o[3 * Lanes + l];
                    }
                }
            }
        });
    }

    /// <summary>The first live lanes of a store mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> LaneMask(int live) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(live)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector256<float> v, float* dst, Vector256<float> mask, int live)
    {
        if (live == Lanes) Vector256.Store(v, dst);
        else Avx.MaskStore(dst, mask, v);
    }
}
