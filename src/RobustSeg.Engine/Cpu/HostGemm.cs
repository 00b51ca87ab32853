using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>Host SGEMM, row-major: C = alpha op(A) op(B) + beta C (BLIS-style). B is packed into
/// NR-column panels and A into MR-row panels per K block, so the MR x NR micro-kernel reads both
/// operands contiguously whatever the transposes and leading dimensions are; edge panels are
/// zero-padded and stored through a bounds-checked path. The tile shape and micro-kernel follow
/// <see cref="HostSimd.Current"/> (<see cref="MicroShape"/>). Work is split into (row range x column
/// range) tasks so that tall, wide and skinny shapes all keep every core busy.
/// beta == 0 never reads C (it may hold NaN garbage from a fresh pool buffer).</summary>
public static unsafe class HostGemm
{
    /// <summary>Largest tile of any micro-kernel (the edge-tile scratch).</summary>
    const int MaxTile = 14 * 32;
    /// <summary>Most B columns per packed block: KC x 4096 floats (L3).</summary>
    const int NcMax = 4096;
    /// <summary>Below this many multiply-adds a GEMM runs on the calling thread.</summary>
    const long SerialMacs = 1L << 17;

    [ThreadStatic] static float[]? _aPack, _bPanel, _colRows;
    /// <summary>The largest K block of any shape.</summary>
    const int KcMax = 256;

    /// <summary>Tile shape and K block of one micro-kernel. Mc: most A rows per task (the packed A
    /// block, Mc x Kc, stays in L2); Kc: an Mr x Kc A panel plus a Kc x Nr B panel fit in L1.</summary>
    public readonly record struct MicroShape(HostSimdPath Path, int Mr, int Nr, int Kc, int Mc)
    {
        public int MaxPanelsPerTask => Math.Max(1, Mc / Mr);
    }

    /// <summary>The tile shape for an M-row GEMM on path p. AVX-512 (32 registers): 12x32 (24 accumulators,
    /// 24 FMAs per 14 loads) unless M would waste more than 4% of the rows in a partial tile that 8x32 avoids
    /// (M = 64, 40: conv output channels), measured per shape on Zen 5. AVX2 (16 registers): 6x16.</summary>
    public static MicroShape ShapeFor(HostSimdPath p, int m = 0) => p switch
    {
        HostSimdPath.Avx512 => new(p, Waste(m, 12) > 0.04 && Waste(m, 8) < Waste(m, 12) ? 8 : 12, 32, 256, 144),
        HostSimdPath.Avx2 => new(p, 6, 16, 256, 144),
        _ => new(p, 6, 16, 256, 144),
    };

    /// <summary>Fraction of padded rows when m rows are cut into tiles of mr.</summary>
    static double Waste(int m, int mr) => m <= 0 ? 0 : (double)((m + mr - 1) / mr * mr - m) / m;

    /// <summary>The micro-kernel the current path selects, in words (`robustseg info`); kept next to the
    /// selection so the report cannot drift from what runs.</summary>
    public static string SimdPath => Describe(HostSimd.Current);

    public static string Describe(HostSimdPath p)
    {
        var s = ShapeFor(p);
        string env = Environment.GetEnvironmentVariable(HostSimd.EnvVar) is { Length: > 0 } v ? $"{HostSimd.EnvVar}={v}" : "auto";
        string what = p switch
        {
            HostSimdPath.Avx512 => $"AVX-512 (512-bit, Vector512 12x32 and 8x32 FMA micro-kernels)",
            HostSimdPath.Avx2 => $"AVX2+FMA (256-bit, Vector256 {s.Mr}x{s.Nr} FMA micro-kernel)",
            _ => $"portable Vector<float> ({System.Numerics.Vector<float>.Count * 32}-bit, no FMA, {s.Mr}x{s.Nr})",
        };
        var others = HostSimd.Available().Where(x => x != p).Select(x => x.ToString().ToLowerInvariant());
        return $"{what}; chosen by {env}; also available: {string.Join(", ", others)}";
    }

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, null, beta, c, ldc);

    /// <summary>The same with B = the im2col matrix of one image (CKK x pixels; transB: pixels x CKK
    /// stored as CKK x pixels), packed straight from the image.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, ImplicitCols cols, float beta, float* c, int ldc) =>
        Run(transA, transB, m, n, k, alpha, a, lda, null, 0, &cols, beta, c, ldc);

    static void Run(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, ImplicitCols* cols, float beta, float* c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"sgemm: negative size m={m} n={n} k={k}");
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) { ScaleC(m, n, beta, c, ldc); return; }

        var sh = ShapeFor(HostSimd.Current, m);
        int MR = sh.Mr, NR = sh.Nr, KC = sh.Kc;
        long macs = (long)m * n * k;
        int ncBlocks = (n + NcMax - 1) / NcMax;
        int nc = RoundUp((n + ncBlocks - 1) / ncBlocks, NR);
        int mPanels = (m + MR - 1) / MR;
        // With a single row range (M <= 144: conv's output channels) every B panel is used by one
        // task only, so tasks pack their panels on the fly into an L1-sized buffer instead of
        // staging the whole B block through memory; otherwise B is packed once and shared.
        var (tm0, _) = Tasks(sh, mPanels, (nc + NR - 1) / NR, macs);
        float[]? bPack = tm0 > 1 || ncBlocks > 1 ? PackPool.Rent(Math.Min(k, KC) * nc + 16) : null;
        try
        {
            fixed (float* pbBuf = bPack)
            {
                float* sharedB = pbBuf == null ? null : Align64(pbBuf);
                var job = new Job
                {
                    TransA = transA, TransB = transB, A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc,
                    Alpha = alpha, M = m, MPanels = mPanels, Shape = sh,
                    HasCols = cols != null, Cols = cols != null ? *cols : default,
                };
                for (int jc = 0; jc < n; jc += nc)
                {
                    job.J0 = jc; job.Nc = Math.Min(nc, n - jc);
                    job.NPanels = (job.Nc + NR - 1) / NR;
                    (job.Tm, job.Tn) = Tasks(sh, mPanels, job.NPanels, macs);
                    bool shared = job.Tm > 1 && sharedB != null;
                    job.BPack = shared ? sharedB : null;
                    for (int pc = 0; pc < k; pc += KC)
                    {
                        job.P0 = pc; job.Kc = Math.Min(KC, k - pc);
                        job.Beta = pc == 0 ? beta : 1f;
                        var j = job;
                        if (j.Tm * j.Tn == 1) { RunTask(in j, 0); continue; }
                        if (shared)
                            HostParallel.For(j.NPanels, 8, (s, e) =>
                            {
                                for (int jp = (int)s; jp < e; jp++) PackBPanel(in j, jp, j.BPack + (long)jp * NR * j.Kc);
                            });
                        HostParallel.Each(j.Tm * j.Tn, t => RunTask(in j, t));
                    }
                }
            }
        }
        finally { if (bPack is not null) PackPool.Return(bPack); }
    }

    /// <summary>Everything one K block of one column block needs (copied into each task closure).</summary>
    struct Job
    {
        public bool TransA, TransB;
        /// <summary>Shared packed B block, or null when tasks pack their own panels.</summary>
        public float* A, B, C, BPack;
        public int Lda, Ldb, Ldc, M, J0, Nc, P0, Kc, Tm, Tn, MPanels, NPanels;
        public float Alpha, Beta;
        public MicroShape Shape;
        /// <summary>B is <see cref="Cols"/> (implicit im2col), not B/Ldb.</summary>
        public bool HasCols;
        public ImplicitCols Cols;
    }

    /// <summary>Panels start on a cache line, so a 16-float B row is one line, never two.</summary>
    static float* Align64(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Task grid (row ranges x column ranges): rows in chunks of at most Mc (A block in L2), then
    /// smaller row chunks or column splits until there are a few tasks per core (skinny GEMMs such as conv's 64 x 4225).</summary>
    static (int Tm, int Tn) Tasks(in MicroShape sh, int mPanels, int nPanels, long macs)
    {
        if (macs < SerialMacs) return (1, 1);
        int tm = (mPanels + sh.MaxPanelsPerTask - 1) / sh.MaxPanelsPerTask;
        if (HostParallel.Cores == 1) return (tm, 1);   // row blocks still keep packed A in L2
        int want = HostParallel.Cores * 3;
        int tn = 1;
        // Several row blocks already (B shared): more of them before splitting columns, since every column
        // range packs its own copy of the A block (a 512 x 2048 weight packed twice cost a third of a 1x1 conv).
        if (tm > 1) while (tm * tn < want && mPanels / (tm + 1) >= 4) tm++;
        while (tm * tn < want && nPanels / (tn + 1) >= 4) tn++;
        while (tm * tn < want && tm < mPanels && mPanels / (tm + 1) >= 2) tm++;
        return (tm, tn);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RunTask(in Job j, int task)
    {
        int ti = task / j.Tn, tj = task % j.Tn;
        int mp0 = (int)((long)ti * j.MPanels / j.Tm), mp1 = (int)((long)(ti + 1) * j.MPanels / j.Tm);
        int np0 = (int)((long)tj * j.NPanels / j.Tn), np1 = (int)((long)(tj + 1) * j.NPanels / j.Tn);
        if (mp0 >= mp1 || np0 >= np1) return;
        int kc = j.Kc, MR = j.Shape.Mr, NR = j.Shape.Nr;
        int need = (mp1 - mp0) * MR * kc + 16;
        var aBuf = _aPack;
        if (aBuf is null || aBuf.Length < need)
            _aPack = aBuf = GC.AllocateUninitializedArray<float>(Math.Max(need, j.Shape.Mc * j.Shape.Kc + 16 * 32 + 16), pinned: true);
        float* pa = Align64((float*)Unsafe.AsPointer(ref aBuf[0]));   // pinned array: the address is stable
        PackA(in j, mp0, mp1, pa);
        float* own = null;
        if (j.BPack == null)
        {
            if (_bPanel is null || _bPanel.Length < kc * NR + 16) _bPanel = GC.AllocateUninitializedArray<float>(j.Shape.Kc * NR + 16, pinned: true);
            own = Align64((float*)Unsafe.AsPointer(ref _bPanel[0]));
        }

        float* tmp = stackalloc float[MaxTile];
        for (int jp = np0; jp < np1; jp++)
        {
            float* pb;
            if (own != null) { PackBPanel(in j, jp, own); pb = own; }
            else pb = j.BPack + (long)jp * NR * kc;
            // B panel in L1, A panels from L2; the next tile's C rows are far apart (ldc) and cold.
            for (int ip = mp0; ip < mp1; ip++)
                Tile(in j, ip, jp, pa + (long)(ip - mp0) * MR * kc, pb, tmp, ip + 1 < mp1);
        }
    }

    /// <summary>One MR x NR tile of C from packed panels; edge tiles go through the scratch tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Tile(in Job j, int ip, int jp, float* ap, float* pb, float* tmp, bool prefetchBelow)
    {
        int MR = j.Shape.Mr, NR = j.Shape.Nr, kc = j.Kc;
        int row = ip * MR, col = jp * NR;
        int mr = Math.Min(MR, j.M - row), nr = Math.Min(NR, j.Nc - col);
        float* cp = j.C + (long)row * j.Ldc + j.J0 + col;
        if (prefetchBelow && Sse.IsSupported)
        {
            float* nx = cp + (long)MR * j.Ldc;
            int rows = Math.Min(MR, j.M - row - MR);
            for (int r = 0; r < rows; r++)
            for (int q = 0; q < nr; q += 16) Sse.Prefetch0(nx + (long)r * j.Ldc + q);
        }
        if (mr == MR && nr == NR) { Micro(j.Shape, kc, ap, pb, cp, j.Ldc, j.Alpha, j.Beta); return; }
        // Edge tile: the full MR x NR product into the scratch tile, then only the valid part to C.
        Micro(j.Shape, kc, ap, pb, tmp, NR, 1f, 0f);
        for (int r = 0; r < mr; r++)
        {
            float* cr = cp + (long)r * j.Ldc;
            for (int q = 0; q < nr; q++)
                cr[q] = j.Beta == 0f ? j.Alpha * tmp[r * NR + q] : j.Alpha * tmp[r * NR + q] + j.Beta * cr[q];
        }
    }

    /// <summary>A rows [mp0*MR, mp1*MR) x K block into MR-row panels: panel[p*MR + r] = op(A)(row0 + r, P0 + p).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackA(in Job j, int mp0, int mp1, float* dst)
    {
        int kc = j.Kc, MR = j.Shape.Mr;
        for (int ip = mp0; ip < mp1; ip++, dst += MR * kc)
        {
            int row0 = ip * MR;
            int mr = Math.Min(MR, j.M - row0);
            if (j.TransA)
            {
                // op(A)(i, p) = A[p*lda + i]: MR contiguous values per p.
                float* src = j.A + (long)j.P0 * j.Lda + row0;
                for (int p = 0; p < kc; p++, src += j.Lda)
                {
                    float* d = dst + p * MR;
                    int r = 0;
                    for (; r < mr; r++) d[r] = src[r];
                    for (; r < MR; r++) d[r] = 0f;
                }
            }
            else
            {
                // op(A)(i, p) = A[i*lda + p]: one stream per row.
                for (int r = 0; r < MR; r++)
                {
                    float* d = dst + r;
                    if (r < mr)
                    {
                        float* src = j.A + (long)(row0 + r) * j.Lda + j.P0;
                        for (int p = 0; p < kc; p++) d[p * MR] = src[p];
                    }
                    else for (int p = 0; p < kc; p++) d[p * MR] = 0f;
                }
            }
        }
    }

    /// <summary>B panel jp of the current block: dst[p*NR + q] = op(B)(P0 + p, J0 + jp*NR + q), zero past N.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackBPanel(in Job j, int jp, float* dst)
    {
        int kc = j.Kc, NR = j.Shape.Nr;
        int col0 = j.J0 + jp * NR;
        int nr = Math.Min(NR, j.Nc - jp * NR);
        if (j.HasCols)
        {
            if (!j.TransB) { j.Cols.Panel(j.P0, kc, col0, nr, dst, NR); return; }
            // op(B)(p, q) = col(col0 + q, P0 + p): NR rows of pixels, gathered contiguously, then transposed.
            var rows = _colRows;
            if (rows is null || rows.Length < NR * kc + 16) _colRows = rows = GC.AllocateUninitializedArray<float>(NR * Math.Max(kc, KcMax) + 16, pinned: true);
            float* t = Align64((float*)Unsafe.AsPointer(ref rows[0]));
            for (int q = 0; q < NR; q++)
            {
                if (q < nr) j.Cols.Row(col0 + q, j.P0, kc, t + (long)q * kc, 1);
                else new Span<float>(t + (long)q * kc, kc).Clear();
            }
            int pp = 0;
            if (Avx.IsSupported)
                for (; pp + 8 <= kc; pp += 8)
                for (int qb = 0; qb < NR; qb += 8) Transpose8x8(t + (long)qb * kc + pp, kc, dst + pp * NR + qb, NR);
            for (; pp < kc; pp++)
            for (int q = 0; q < NR; q++) dst[pp * NR + q] = t[(long)q * kc + pp];
            return;
        }
        if (!j.TransB)
        {
            // op(B)(p, q) = B[p*ldb + q]: NR contiguous values per p.
            float* src = j.B + (long)j.P0 * j.Ldb + col0;
            if (nr == NR && Sse.IsSupported && j.Nc - (jp + 1) * NR > 0)
            {
                // A panel takes NR/16 lines from each of kc rows: fetch the next panel's lines of each row now.
                for (int p = 0; p < kc; p++, src += j.Ldb, dst += NR)
                {
                    for (int q = 0; q < NR; q += 16) Sse.Prefetch0(src + NR + q);
                    CopyRow(src, dst, NR);
                }
            }
            else if (nr == NR)
            {
                for (int p = 0; p < kc; p++, src += j.Ldb, dst += NR) CopyRow(src, dst, NR);
            }
            else
            {
                for (int p = 0; p < kc; p++, src += j.Ldb, dst += NR)
                {
                    int q = 0;
                    for (; q < nr; q++) dst[q] = src[q];
                    for (; q < NR; q++) dst[q] = 0f;
                }
            }
        }
        else
        {
            // op(B)(p, q) = B[q*ldb + p]: NR rows of the stored matrix, transposed into the panel.
            float* src = j.B + (long)col0 * j.Ldb + j.P0;
            int p = 0;
            if (nr == NR && Avx.IsSupported)
            {
                // The NR source rows are short streams (kc floats each) far apart, which the hardware
                // prefetcher barely catches: fetch the next panel's rows while transposing this one.
                float* next = src + NR * (long)j.Ldb;
                bool prefetch = Sse.IsSupported && j.Nc - (jp + 1) * NR >= NR;
                int half = NR / 2;
                for (int it = 0; p + 8 <= kc; p += 8, it++)
                {
                    if (prefetch)
                    {
                        // One cache line (16 floats) per row covers two iterations: the first half of
                        // the rows on even iterations, the second half on odd ones.
                        float* pf = next + ((it & 1) * (long)half) * j.Ldb + (p & ~15);
                        for (int r = 0; r < half; r++) Sse.Prefetch0(pf + r * (long)j.Ldb);
                    }
                    for (int qb = 0; qb < NR; qb += 8)
                        Transpose8x8(src + qb * (long)j.Ldb + p, j.Ldb, dst + p * NR + qb, NR);
                }
            }
            for (int q = 0; q < NR; q++)
            {
                float* d = dst + q;
                if (q < nr)
                {
                    float* s = src + (long)q * j.Ldb;
                    for (int pp = p; pp < kc; pp++) d[pp * NR] = s[pp];
                }
                else for (int pp = p; pp < kc; pp++) d[pp * NR] = 0f;
            }
        }
    }

    /// <summary>dst[c*ldd + r] = src[r*lds + c] for an 8x8 block (AVX unpack/shuffle/permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, long lds, float* dst, long ldd)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds); var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds); var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds); var r7 = Avx.LoadVector256(src + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>n floats (a multiple of Vector&lt;float&gt;.Count) from src to dst.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void CopyRow(float* src, float* dst, int n)
    {
        for (int q = 0; q < n; q += System.Numerics.Vector<float>.Count)
            Unsafe.WriteUnaligned(dst + q, Unsafe.ReadUnaligned<System.Numerics.Vector<float>>(src + q));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Micro(in MicroShape sh, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        switch (sh.Path)
        {
            case HostSimdPath.Avx512: HostGemmKernels512.Run(sh.Mr, kc, a, b, c, ldc, alpha, beta); break;
            case HostSimdPath.Avx2: HostGemmKernels.Fma6x16(kc, a, b, c, ldc, alpha, beta); break;
            default: HostGemmKernels.Portable6x16(kc, a, b, c, ldc, alpha, beta); break;
        }
    }

    /// <summary>C = beta C (k == 0 or alpha == 0); beta == 0 writes zeros without reading C.</summary>
    static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }
}
