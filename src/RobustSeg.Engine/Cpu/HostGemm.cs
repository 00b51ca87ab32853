using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>Host SGEMM, row-major: C = alpha op(A) op(B) + beta C (BLIS-style). B is packed into
/// 16-column panels and A into 6-row panels per K block, so the 6x16 FMA micro-kernel reads both
/// operands contiguously whatever the transposes and leading dimensions are; edge panels are
/// zero-padded and stored through a bounds-checked path. Work is split into (row range x column
/// range) tasks so that tall, wide and skinny shapes all keep every core busy.
/// beta == 0 never reads C (it may hold NaN garbage from a fresh pool buffer).</summary>
public static unsafe class HostGemm
{
    internal const int MR = 6, NR = 16;
    /// <summary>K block: a 6x256 A panel (6 KB) plus a 256x16 B panel (16 KB) fit in L1.</summary>
    internal const int KC = 256;
    /// <summary>Most A rows per task: a 144x256 packed A block (147 KB) stays in L2.</summary>
    const int MaxPanelsPerTask = 24;
    /// <summary>Most B columns per packed block: 256 x 4096 floats = 4 MB (L3).</summary>
    const int NcMax = 4096;
    /// <summary>Below this many multiply-adds a GEMM runs on the calling thread.</summary>
    const long SerialMacs = 1L << 17;

    [ThreadStatic] static float[]? _aPack, _bPanel;

    /// <summary>Tests set this to exercise the portable (non-FMA) micro-kernel on FMA hardware.</summary>
    public static bool ForcePortableKernel { get; set; }

    /// <summary>The micro-kernel <see cref="Micro"/> selects on this host, in words (`robustseg info`);
    /// kept next to the selection so the report cannot drift from what runs.</summary>
    public static string SimdPath =>
        (Fma.IsSupported && !ForcePortableKernel
            ? "AVX+FMA (256-bit, Vector256 6x16 FMA micro-kernel)"
            : $"portable Vector<float> ({System.Numerics.Vector<float>.Count * 32}-bit, no FMA)")
        + (Avx512F.IsSupported ? "; AVX-512 present but unused (no Vector512 kernel)" : "");

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"sgemm: negative size m={m} n={n} k={k}");
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) { ScaleC(m, n, beta, c, ldc); return; }

        long macs = (long)m * n * k;
        int ncBlocks = (n + NcMax - 1) / NcMax;
        int nc = RoundUp((n + ncBlocks - 1) / ncBlocks, NR);
        int mPanels = (m + MR - 1) / MR;
        // With a single row range (M <= 144: conv's output channels) every B panel is used by one
        // task only, so tasks pack their panels on the fly into an L1-sized buffer instead of
        // staging the whole B block through memory; otherwise B is packed once and shared.
        var (tm0, _) = Tasks(mPanels, (nc + NR - 1) / NR, macs);
        float[]? bPack = tm0 > 1 || ncBlocks > 1 ? PackPool.Rent(Math.Min(k, KC) * nc + 16) : null;
        try
        {
            fixed (float* pbBuf = bPack)
            {
                float* sharedB = pbBuf == null ? null : Align64(pbBuf);
                var job = new Job
                {
                    TransA = transA, TransB = transB, A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc,
                    Alpha = alpha, M = m, MPanels = mPanels,
                };
                for (int jc = 0; jc < n; jc += nc)
                {
                    job.J0 = jc; job.Nc = Math.Min(nc, n - jc);
                    job.NPanels = (job.Nc + NR - 1) / NR;
                    (job.Tm, job.Tn) = Tasks(mPanels, job.NPanels, macs);
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
    }

    /// <summary>Panels start on a cache line, so a 16-float B row is one line, never two.</summary>
    static float* Align64(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Task grid (row ranges x column ranges): rows in chunks of at most 144 (A block in L2),
    /// then columns split until there are a few tasks per core (skinny GEMMs such as conv's 64 x 4225).</summary>
    static (int Tm, int Tn) Tasks(int mPanels, int nPanels, long macs)
    {
        if (macs < SerialMacs || HostParallel.Cores == 1) return (1, 1);
        int tm = (mPanels + MaxPanelsPerTask - 1) / MaxPanelsPerTask;
        int want = HostParallel.Cores * 3;
        int tn = 1;
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
        int kc = j.Kc;
        int need = (mp1 - mp0) * MR * kc + 16;
        var aBuf = _aPack;
        if (aBuf is null || aBuf.Length < need)
            _aPack = aBuf = GC.AllocateUninitializedArray<float>(Math.Max(need, MaxPanelsPerTask * MR * KC + 16), pinned: true);
        float* pa = Align64((float*)Unsafe.AsPointer(ref aBuf[0]));   // pinned array: the address is stable
        PackA(in j, mp0, mp1, pa);
        float* own = null;
        if (j.BPack == null)
        {
            _bPanel ??= GC.AllocateUninitializedArray<float>(KC * NR + 16, pinned: true);
            own = Align64((float*)Unsafe.AsPointer(ref _bPanel[0]));
        }

        float* tmp = stackalloc float[MR * NR];
        for (int jp = np0; jp < np1; jp++)
        {
            int col = jp * NR;
            int nr = Math.Min(NR, j.Nc - col);
            float* pb;
            if (own != null) { PackBPanel(in j, jp, own); pb = own; }
            else pb = j.BPack + (long)jp * NR * kc;
            for (int ip = mp0; ip < mp1; ip++)
            {
                int row = ip * MR;
                int mr = Math.Min(MR, j.M - row);
                float* cp = j.C + (long)row * j.Ldc + j.J0 + col;
                float* ap = pa + (long)(ip - mp0) * MR * kc;
                if (mr == MR && nr == NR) Micro(kc, ap, pb, cp, j.Ldc, j.Alpha, j.Beta);
                else
                {
                    // Edge tile: full 6x16 product into a scratch tile, then only the valid part to C.
                    Micro(kc, ap, pb, tmp, NR, 1f, 0f);
                    for (int r = 0; r < mr; r++)
                    {
                        float* cr = cp + (long)r * j.Ldc;
                        for (int q = 0; q < nr; q++)
                            cr[q] = j.Beta == 0f ? j.Alpha * tmp[r * NR + q] : j.Alpha * tmp[r * NR + q] + j.Beta * cr[q];
                    }
                }
            }
        }
    }

    /// <summary>A rows [mp0*6, mp1*6) x K block into 6-row panels: panel[p*6 + r] = op(A)(row0 + r, P0 + p).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackA(in Job j, int mp0, int mp1, float* dst)
    {
        int kc = j.Kc;
        for (int ip = mp0; ip < mp1; ip++, dst += MR * kc)
        {
            int row0 = ip * MR;
            int mr = Math.Min(MR, j.M - row0);
            if (j.TransA)
            {
                // op(A)(i, p) = A[p*lda + i]: 6 contiguous values per p.
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

    /// <summary>B panel jp of the current block: dst[p*16 + q] = op(B)(P0 + p, J0 + jp*16 + q), zero past N.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackBPanel(in Job j, int jp, float* dst)
    {
        int kc = j.Kc;
        int col0 = j.J0 + jp * NR;
        int nr = Math.Min(NR, j.Nc - jp * NR);
        if (!j.TransB)
        {
            // op(B)(p, q) = B[p*ldb + q]: 16 contiguous values per p.
            float* src = j.B + (long)j.P0 * j.Ldb + col0;
            if (nr == NR && Sse.IsSupported && j.Nc - (jp + 1) * NR > 0)
            {
                // A panel takes one line from each of kc rows: fetch the next panel's line of each row now.
                for (int p = 0; p < kc; p++, src += j.Ldb, dst += NR)
                {
                    Sse.Prefetch0(src + NR);
                    Unsafe.WriteUnaligned(dst, Unsafe.ReadUnaligned<System.Numerics.Vector<float>>(src));
                    if (System.Numerics.Vector<float>.Count < NR) CopyRest(src, dst);
                }
            }
            else if (nr == NR)
            {
                for (int p = 0; p < kc; p++, src += j.Ldb, dst += NR)
                {
                    Unsafe.WriteUnaligned(dst, Unsafe.ReadUnaligned<System.Numerics.Vector<float>>(src));
                    if (System.Numerics.Vector<float>.Count < NR) CopyRest(src, dst);
                }
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
            // op(B)(p, q) = B[q*ldb + p]: 16 rows of the stored matrix, transposed into the panel.
            float* src = j.B + (long)col0 * j.Ldb + j.P0;
            int p = 0;
            if (nr == NR && Avx.IsSupported)
            {
                // The 16 source rows are short streams (kc floats each) far apart, which the hardware
                // prefetcher barely catches: fetch the next panel's rows while transposing this one.
                float* next = src + NR * (long)j.Ldb;
                bool prefetch = Sse.IsSupported && j.Nc - (jp + 1) * NR >= NR;
                for (int it = 0; p + 8 <= kc; p += 8, it++)
                {
                    if (prefetch)
                    {
                        // One cache line (16 floats) per row covers two iterations: rows 0-7 on even
                        // iterations, rows 8-15 on odd ones.
                        float* pf = next + ((it & 1) * 8L) * j.Ldb + (p & ~15);
                        for (int r = 0; r < 8; r++) Sse.Prefetch0(pf + r * (long)j.Ldb);
                    }
                    Transpose8x8(src + p, j.Ldb, dst + p * NR, NR);
                    Transpose8x8(src + 8L * j.Ldb + p, j.Ldb, dst + p * NR + 8, NR);
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

    static void CopyRest(float* src, float* dst)
    {
        for (int q = System.Numerics.Vector<float>.Count; q < NR; q += System.Numerics.Vector<float>.Count)
            Unsafe.WriteUnaligned(dst + q, Unsafe.ReadUnaligned<System.Numerics.Vector<float>>(src + q));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Micro(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        if (Fma.IsSupported && !ForcePortableKernel) HostGemmKernels.Fma6x16(kc, a, b, c, ldc, alpha, beta);
        else HostGemmKernels.Portable6x16(kc, a, b, c, ldc, alpha, beta);
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
