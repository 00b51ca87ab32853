using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RobustSeg.Engine.Cpu;

/// <summary>Host SGEMM, row-major: C = alpha op(A) op(B) + beta C (BLIS-style). B is packed into
/// NR-column panels and A into MR-row panels per K block, so the MR x NR micro-kernel reads both
/// operands contiguously whatever the transposes and leading dimensions are; edge panels are
/// zero-padded and stored through a bounds-checked path. The tile shape and micro-kernel follow
/// <see cref="HostSimd.Current"/> (<see cref="MicroShape"/>). C is cut into a few (row range x column
/// range) tasks, one parallel region per GEMM; each task runs every K block of its part on its own
/// packed copies, so no core waits for another between K blocks and no packed panel crosses cores. The micro-kernels
/// are generic over where B's rows are (<see cref="IBRows"/>): packed panels, or a padded image read in place by
/// <see cref="SgemmDirect"/>.
/// beta == 0 never reads C (it may hold NaN garbage from a fresh pool buffer).</summary>
public static unsafe partial class HostGemm
{
    /// <summary>Largest tile of any micro-kernel (the edge-tile scratch).</summary>
    const int MaxTile = 14 * 32;
    /// <summary>Below this many multiply-adds a GEMM runs on the calling thread.</summary>
    const long SerialMacs = 1L << 17;
    /// <summary>Most A rows a task keeps packed while it packs B panels on the fly; RowsInL2 x Kc floats (256 KB at Kc 256,
    /// half of Zen 1's L2; 512 KB at the AVX-512 path's 512, half of Zen 4/5's) is also the budget of one packed A. A task with more rows packs its B block once per
    /// K block and walks its rows in Mc-row sub-blocks instead.</summary>
    const int RowsInL2 = 256;
    /// <summary>Cost of packing one float, in multiply-adds (a vector copy or transpose per 16 floats
    /// against 32 MACs per cycle at peak), for choosing the task grid.</summary>
    const double PackWeight = 16;
    /// <summary>The same for a B column gathered from the image (<see cref="ImplicitCols"/>: a masked load per output-row
    /// segment of every tap instead of a row copy), so a single image's conv is cut into column ranges, each task
    /// gathering only its own columns, rather than row ranges that each gather all of B: 3-5 % off DeepLabV3's
    /// 2048->256 rate-6 and 1024->256 3x3s at 29x29, batch 1, measured (paired runs in one process). A weight gradient's
    /// taps read at the real pixels (<see cref="DirectConv.AtPixels"/>) take the same grid, so both give the same bits.</summary>
    const double GatherWeight = 32;

    /// <summary>Most floats of an A a thread keeps packed for all its tasks of one call (<see cref="ThreadA"/>): 16 MB, a
    /// 512 x 4608 conv weight and then some; a larger A is packed by each task as it goes.</summary>
    const long ThreadAFloats = 1L << 22;
    /// <summary>Off: every task packs its own A, as before <see cref="ThreadA"/> (tests compare the bits of both).</summary>
    public static bool ShareA { get; set; } = true;

    [ThreadStatic] static float[]? _aThread, _aPack, _aSum, _bPanel, _bBlock, _colRows, _cTile, _imageSums;
    /// <summary>What this thread's <see cref="_aThread"/> holds: the call (<see cref="_calls"/>) and its panel range.</summary>
    [ThreadStatic] static long _aThreadCall;
    [ThreadStatic] static int _aThreadP0, _aThreadP1;
    /// <summary>Numbers the GEMM calls that keep a packed A per thread, so a thread never reuses another call's copy.</summary>
    static long _calls;

    /// <summary>Tile shape and blocking of one micro-kernel, for a part of C taller than <see cref="RowsInL2"/>: Mc, most A
    /// rows per sub-block; Kc, the K block; Nc, most B columns per packed block.
    /// AInL1: the packed B block (Kc x Nc) stays in L2 and the tiles run row panel by row panel, so one Mr x Kc A panel
    /// (the broadcast side) stays in L1 while the B panels stream from L2; the A sub-block is packed once per K block and
    /// serves every B block, its panels read once per B block from wherever they are (so Mc is large: it only bounds the
    /// scratch). Otherwise the tiles run column panel by column panel, one B panel in L1 and the A sub-block (Mc x Kc, in
    /// L2) streaming, packed again for every B block.</summary>
    public readonly record struct MicroShape(HostSimdPath Path, int Mr, int Nr, int Kc, int Mc, int Nc, bool AInL1)
    {
        public int MaxPanelsPerTask => Math.Max(1, Mc / Mr);
    }

    /// <summary>The tile shape for an M-row GEMM on path p. AVX-512 (32 registers): 12x32 (24 accumulators,
    /// 24 FMAs per 14 loads) unless M would waste more than 4% of the rows in a partial tile that 8x32 avoids
    /// (M = 64, 40: conv output channels), measured per shape on Zen 5; where B's rows are read in place from an image
    /// (inPlaceB, <see cref="SgemmDirect"/>: two unaligned loads spanning three lines per k step), 12x32 up to 12.5 % of
    /// wasted rows, which puts M = 64 on 12 rows: 0.93-0.98 of the 8-row tiles' time on 64-channel 3x3s at 65x65
    /// (paired, Ice Lake); K blocks of 512 (half the C traffic of 256) with the
    /// A panel in L1 (24 KB) and B blocks of 256 columns (512 KB, half of Zen 4/5's L2, so the A panels and C tiles
    /// passing through do not evict it), A packed once per K block for up to 1536 rows (3 MB of scratch per thread): the
    /// micro-kernel alone runs at 0.94-0.98 of peak, and packing A again for every B block and a 640 KB B block had cost
    /// 2048^3 and 1024^3 about 10 %, measured on Zen 5. AVX2 (16 registers): 6x16, K blocks of 256 with the B panel in L1
    /// (the A-in-L1 order and K blocks of 512 measured slower there).</summary>
    public static MicroShape ShapeFor(HostSimdPath p, int m = 0, bool inPlaceB = false) => p switch
    {
        HostSimdPath.Avx512 => new(p, Waste(m, 12) > (inPlaceB ? 0.125 : 0.04) && Waste(m, 8) < Waste(m, 12) ? 8 : 12, 32, 512, 1536, 256, true),
        _ => new(p, 6, 16, 256, 144, 4096, false),
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
        Run(1, transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, null, beta, c, ldc, 0);

    /// <summary>The same with B = the im2col matrix of one image (CKK x pixels; transB: pixels x CKK
    /// stored as CKK x pixels), packed straight from the image.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, ImplicitCols cols, float beta, float* c, int ldc) =>
        Run(1, transA, transB, m, n, k, alpha, a, lda, 0, null, 0, 0, &cols, beta, c, ldc, 0);

    /// <summary>batch independent GEMMs, operand i at a + i strideA, b + i strideB, c + i strideC (a stride
    /// may be 0: a shared weight). Scheduled as one job, so with at least as many images as cores each core
    /// runs whole images (no packed panel shared, no split of C) instead of every image being split.</summary>
    public static void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC) =>
        Run(batch, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, null, beta, c, ldc, strideC);

    /// <summary>Batched with B = the im2col matrices of batch images, image i at cols.X + i strideX.</summary>
    public static void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, ImplicitCols cols, long strideX, float beta, float* c, int ldc, long strideC) =>
        Run(batch, transA, transB, m, n, k, alpha, a, lda, strideA, null, 0, strideX, &cols, beta, c, ldc, strideC);

    /// <summary>Batched with B = the im2col matrices of batch images (as above) and C_i a rectangle of an output plane: C_i's
    /// column q of row r at c + i strideC + r ldc + (q / width) rowStride + q % width (n columns in rows of width; a
    /// stride-1 conv's tap accumulating straight into the output where it reads inside the image). Each tile is stored
    /// through a scratch tile, its rows cut into the rectangle's row runs. The plain-A form of the window C that
    /// <see cref="SgemmPackedA"/> gives the tap convolution (<see cref="TapConv"/>); tests check the window on every path
    /// through it.</summary>
    public static void SgemmBatchedWindow(int batch, bool transA, int m, int n, int k, float alpha, float* a, int lda, long strideA,
        ImplicitCols cols, long strideX, float beta, float* c, int ldc, long strideC, int width, int rowStride)
    {
        if (width <= 0 || rowStride < width) throw new ArgumentException($"sgemm window: width {width} must be positive and at most the row stride {rowStride}");
        Run(batch, transA, false, m, n, k, alpha, a, lda, strideA, null, 0, strideX, &cols, beta, c, ldc, strideC, cWidth: width, cRowStride: rowStride);
    }

    /// <summary>An A packed once for several GEMMs (<see cref="PackedA"/>), rows [panel0 Mr, panel0 Mr + m) of it, times
    /// B = the im2col matrix of one image: C (m x n) = alpha A B + beta C, C plain (width 0) or a window as in
    /// <see cref="SgemmBatchedWindow"/>. The tap convolution's weights, packed once per call for every tap and task.</summary>
    public static void SgemmPackedA(in PackedA a, int panel0, int m, int n, float alpha, ImplicitCols cols, float beta,
        float* c, int ldc, int width = 0, int rowStride = 0)
    {
        if (panel0 < 0 || (long)panel0 * a.Shape.Mr + m > (long)a.Panels * a.Shape.Mr)
            throw new ArgumentException($"sgemm packed A: rows {panel0 * a.Shape.Mr}..+{m} outside its {a.Panels * a.Shape.Mr}");
        if (width < 0 || (width > 0 && rowStride < width)) throw new ArgumentException($"sgemm window: width {width} must be at most the row stride {rowStride}");
        var pa = a;
        Run(1, false, false, m, n, a.K, alpha, null, 0, 0, null, 0, 0, &cols, beta, c, ldc, 0, cWidth: width, cRowStride: rowStride,
            packed: &pa, panel0: panel0);
    }

    /// <summary>C = alpha sum_i op(A_i) op(B_i) + beta C over batch images in order (operand i at a + i strideA, b + i strideB):
    /// one parallel region whose tasks each sum their part of C over every image, where a loop of GEMMs pays a region per
    /// image (a weight gradient of small per-image GEMMs). The same sums in the same order as batch Sgemm calls with beta,
    /// then 1, so the same bits.</summary>
    public static void SgemmSum(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta, float* c, int ldc) =>
        Run(batch, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, null, beta, c, ldc, 0, sum: true);

    /// <summary>The same with B_i = the im2col matrix of image i, at cols.X + i strideX.</summary>
    public static void SgemmSum(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, ImplicitCols cols, long strideX, float beta, float* c, int ldc) =>
        Run(batch, transA, transB, m, n, k, alpha, a, lda, strideA, null, 0, strideX, &cols, beta, c, ldc, 0, sum: true);

    /// <summary>A stride-1 conv's weight gradient by <see cref="DirectConv"/>: C (m x taps) = alpha sum_i A_i T_iᵀ + beta C over
    /// batch images in order, A_i (m x k, k = d.Pixels) at a + i strideA and T_i's row t read from padded image i at
    /// offset d.Off[t]: k contiguous floats when A_i is the output gradient spread on the padded grid, or the floats at
    /// the real pixels (d.RealPixels) when A_i is the output gradient itself. The transposed panels are copied from contiguous
    /// runs instead of gathered output row by output row.</summary>
    public static void SgemmSumTaps(int batch, int m, int taps, float alpha, float* a, int lda, long strideA, DirectConv d,
        float beta, float* c, int ldc) =>
        Run(batch, false, true, m, taps, d.Pixels, alpha, a, lda, strideA, null, 0, 0, null, beta, c, ldc, 0, sum: true, taps: &d);

    /// <summary>batch stride-1 convolutions by <see cref="DirectConv"/>: C_i (m x Ho Wo, row stride ldc) = alpha A (m x taps)
    /// B_i + beta C_i, B_i's rows read in place from padded image i of d. Outputs must not overlap.</summary>
    public static void SgemmDirect(int batch, int m, int k, float alpha, float* a, int lda, long strideA, DirectConv d,
        float beta, float* c, int ldc, long strideC) =>
        Run(batch, false, false, m, d.Pixels, k, alpha, a, lda, strideA, null, 0, 0, null, beta, c, ldc, strideC, &d);

    static void Run(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, ImplicitCols* cols, float beta, float* c, int ldc, long strideC,
        DirectConv* direct = null, bool sum = false, DirectConv* taps = null, int cWidth = 0, int cRowStride = 0,
        PackedA* packed = null, int panel0 = 0)
    {
        if (m < 0 || n < 0 || k < 0 || batch < 0) throw new ArgumentException($"sgemm: negative size batch={batch} m={m} n={n} k={k}");
        if (m == 0 || n == 0 || batch == 0) return;
        // n counts a direct conv's padded-grid pixels, C holds Ho Wo; a window's n columns span rows rowStride apart.
        int cCols = direct != null ? direct->OutPixels : cWidth > 0 ? (n - 1) / cWidth * cRowStride + cWidth : n;
        int images = sum ? 1 : batch;                           // the output images (a sum writes one)
        if (k == 0 || alpha == 0f)
        {
            int cn = direct != null ? cCols : n;
            for (int i = 0; i < images; i++)
            for (int q = 0, len; q < cn; q += len)
            {
                long at = RunAt(cWidth, cRowStride, q, cn, out len);
                ScaleC(m, len, beta, c + i * strideC + at, ldc);
            }
            return;
        }

        if (!sum && batch > 1 && Math.Abs(strideC) < (long)(m - 1) * ldc + cCols)
        {
            if (direct != null) throw new ArgumentException("sgemm direct: outputs overlap");
            // Outputs overlap (an accumulation into one C): the images in order, each parallel inside.
            for (int i = 0; i < batch; i++)
            {
                var ci = cols != null ? cols->Offset(i * strideB) : default;
                Run(1, transA, transB, m, n, k, alpha, a + i * strideA, lda, 0, cols != null ? null : b + i * strideB, ldb, 0,
                    cols != null ? &ci : null, beta, c + i * strideC, ldc, 0, cWidth: cWidth, cRowStride: cRowStride);
            }
            return;
        }
        var sh = packed != null ? packed->Shape : ShapeFor(HostSimd.Current, m, direct != null);
        var job = new Job
        {
            TransA = transA, TransB = transB, A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc,
            Alpha = alpha, Beta = beta, M = m, N = n, K = k, Shape = sh,
            HasCols = cols != null, Cols = cols != null ? *cols : default, CWidth = cWidth, CRowStride = cRowStride,
        };
        // Panel ip of this GEMM is panel panel0 + ip of the packed A (APanel counts from APanel0).
        if (packed != null) { job.APre = packed->P; job.APanels = packed->Panels; job.APanel0 = -panel0; }
        int mPanels = (m + sh.Mr - 1) / sh.Mr, nPanels = (n + sh.Nr - 1) / sh.Nr;
        if (sum && cols != null && batch > 1 && (long)m * n <= SmallSumFloats)
        {
            SumByImage(job, batch, strideA, strideB, mPanels, nPanels, c, ldc);
            return;
        }
        // A sum is cut as one image is (its parts hold every image), a batch into images x parts.
        var (tm, tn) = Grid(sh, images, mPanels, nPanels, (long)batch * m * n * k, cols != null || (taps != null && taps->RealPixels) ? GatherWeight : PackWeight);
        int parts = tm * tn;
        // Every task of a row range would pack the same A (a conv weight, for each image and column part): each thread
        // packs its range once and its later tasks of this call read it from there.
        long call = packed == null && !sum && strideA == 0 && images * tn > 1 && ShareA && (long)mPanels * sh.Mr * k <= ThreadAFloats
            ? Interlocked.Increment(ref _calls) : 0;
        // This image's operands, its DirectConv (direct or taps) in *slot.
        Job ForImage(int img, float beta, DirectConv* slot)
        {
            var ji = job;
            ji.A += img * strideA; ji.C += img * strideC; ji.Beta = beta;
            if (ji.HasCols) ji.Cols = ji.Cols.Offset(img * strideB); else ji.B += img * strideB;
            *slot = direct != null ? direct->Image(img) : taps != null ? taps->Image(img) : default;
            if (direct != null) ji.Direct = slot;
            if (taps != null) ji.Taps = slot;
            return ji;
        }
        void Image(int img, int part, float beta)
        {
            int ti = part / tn, tj = part % tn;
            DirectConv di;
            var ji = ForImage(img, beta, &di);
            int mp0 = Split(mPanels, tm, ti), mp1 = Split(mPanels, tm, ti + 1);
            if (call != 0) ThreadA(ref ji, call, mp0, mp1);
            RunRange(ji, mp0, mp1, Split(nPanels, tn, tj), Split(nPanels, tn, tj + 1));
        }
        void Task(int t)
        {
            if (!sum) { Image(t / parts, t % parts, beta); return; }
            int mp0 = Split(mPanels, tm, t / tn), mp1 = Split(mPanels, tm, t / tn + 1);
            if (batch > 1 && direct == null && SumsByPanel(sh, batch, mp1 - mp0, k))
            {
                Job* jobs = stackalloc Job[batch];
                DirectConv* dis = stackalloc DirectConv[batch];
                for (int img = 0; img < batch; img++) jobs[img] = ForImage(img, img == 0 ? beta : 1f, dis + img);
                RunRangeSum(jobs, batch, mp0, mp1, Split(nPanels, tn, t % tn), Split(nPanels, tn, t % tn + 1));
                return;
            }
            for (int img = 0; img < batch; img++) Image(img, t, img == 0 ? beta : 1f);
        }
        if (images * parts == 1 || HostParallel.Cores == 1 || (long)batch * m * n * k < SerialMacs)
            for (int t = 0; t < images * parts; t++) Task(t);
        else HostParallel.Each(images * parts, Task);
    }

    /// <summary>Largest C (floats) of a sum over gathered columns that <see cref="SumByImage"/> takes.</summary>
    const int SmallSumFloats = 4096;

    /// <summary>C = alpha sum_i A_i B_i + beta C for a small C over many pixels (the first conv's 32 x 27 weight gradient
    /// over 4 x 4225 pixels): the grid can only cut C's few panels, and each part gathered every image's columns again
    /// (3.2x PyTorch's time). Here each image is one task into its own partial, gathered once, and the partials are added
    /// in image order after: the same sums whatever the core count (not the bits of the one-region sum). On the AVX paths
    /// an image's part is dot products along the pixels (<see cref="HostDot"/>), no panels packed.</summary>
    static void SumByImage(Job job, int batch, long strideA, long strideB, int mPanels, int nPanels, float* c, int ldc)
    {
        int m = job.M, n = job.N;
        float* p = Scratch(ref _imageSums, batch * m * n);   // the caller's; the workers write their images' parts
        float beta = job.Beta;
        var path = job.Shape.Path;
        bool dot = HostDot.Runs(path) && !job.TransA && job.TransB;
        HostParallel.Each(batch, img =>
        {
            if (dot)
            {
                HostDot.SumImage(path, m, n, job.K, job.Alpha, job.A + img * strideA, job.Lda, job.Cols.Offset(img * strideB), p + (long)img * m * n);
                return;
            }
            var ji = job;
            ji.A += img * strideA;
            ji.Cols = ji.Cols.Offset(img * strideB);
            ji.C = p + (long)img * m * n;
            ji.Ldc = n;
            ji.Beta = 0f;
            RunRange(ji, 0, mPanels, 0, nPanels);
        });
        for (int r = 0; r < m; r++)
        for (int q = 0; q < n; q++)
        {
            float acc = p[r * n + q];
            for (int img = 1; img < batch; img++) acc += p[((long)img * m + r) * n + q];
            float* cr = c + (long)r * ldc + q;
            *cr = beta == 0f ? acc : acc + beta * *cr;
        }
    }

    /// <summary>Start of part i of n panels cut into parts (sizes differ by at most one).</summary>
    static int Split(int panels, int parts, int i) => (int)((long)i * panels / parts);

    static int Ceil(int x, int d) => (x + d - 1) / d;

    /// <summary>Everything a task needs: the operands, and the K block it is on (P0, Kc, Beta).</summary>
    struct Job
    {
        public bool TransA, TransB;
        public float* A, B, C;
        public int Lda, Ldb, Ldc, M, N, K, P0, Kc;
        public float Alpha, Beta;
        public MicroShape Shape;
        /// <summary>B is <see cref="Cols"/> (implicit im2col), not B/Ldb.</summary>
        public bool HasCols;
        public ImplicitCols Cols;
        /// <summary>B read in place from a padded image (direct convolution), not packed: this task's image.</summary>
        public DirectConv* Direct;
        /// <summary>A packed before the task (null: the task packs its own as it goes): panels APanel0 .. APanel0 + APanels,
        /// the K block at P0 holding them as APanels panels of Mr x Kc floats at APre + P0 APanels Mr.</summary>
        public float* APre;
        public int APanels, APanel0;
        /// <summary>B's columns are the taps of this task's padded image (<see cref="SgemmSumTaps"/>), not B/Ldb.</summary>
        public DirectConv* Taps;
        /// <summary>Above 0: C's columns in rows of CWidth, CRowStride apart (<see cref="SgemmBatchedWindow"/>).</summary>
        public int CWidth, CRowStride;
    }

    /// <summary>Points j at this thread's packed copy of A's panels [mp0, mp1), every K block, packing it first unless this
    /// thread already did for this call. Where one A was packed by all cores before the tasks, a task read panels another
    /// core had written, after a region of its own: GEMM 1024^3 and the batch-4 forwards of 64-128-channel 3x3s at 17x17
    /// took 3-12 % longer than each task packing its own A, measured on Zen 5; per thread it is packed once per core
    /// rather than per task.</summary>
    static void ThreadA(ref Job j, long call, int mp0, int mp1)
    {
        int KC = j.Shape.Kc;
        j.APanels = mp1 - mp0;
        j.APanel0 = mp0;
        j.APre = Scratch(ref _aThread, j.APanels * j.Shape.Mr * j.K);
        if (_aThreadCall == call && _aThreadP0 == mp0 && _aThreadP1 == mp1) return;
        var jj = j;
        for (int pc = 0; pc < j.K; pc += KC)
        {
            jj.P0 = pc; jj.Kc = Math.Min(KC, j.K - pc);
            PackA(in jj, mp0, mp1, APanel(in jj, mp0));
        }
        (_aThreadCall, _aThreadP0, _aThreadP1) = (call, mp0, mp1);
    }

    /// <summary>Panel ip of the current K block (P0, Kc) in the task's packed A.</summary>
    static float* APanel(in Job j, int ip) => j.APre + (long)j.P0 * j.APanels * j.Shape.Mr + (long)(ip - j.APanel0) * j.Shape.Mr * j.Kc;

    /// <summary>The packed panels from mp0 on of the K block at pc (kc wide): in the packed A of <see cref="ThreadA"/>, or at pa, where this task
    /// packed K blocks [k0, ...) of its rowsP rows one after another.</summary>
    static float* ABlock(in Job j, float* pa, int rowsP, int mp0, int k0, int pc, int kc) =>
        j.APre != null ? j.APre + (long)pc * j.APanels * j.Shape.Mr + (long)(mp0 - j.APanel0) * j.Shape.Mr * kc : pa + (long)rowsP * (pc - k0);

    /// <summary>Panels start on a cache line, so a 16-float B row is one line, never two.</summary>
    static float* Align64(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary>This thread's pinned scratch of at least n floats, 64-byte aligned (pinned: the address is stable); the
    /// host path's other per-thread scratch (Winograd's padded planes) comes from here too.</summary>
    internal static float* Scratch(ref float[]? buf, int n)
    {
        if (buf is null || buf.Length < n + 16) buf = GC.AllocateUninitializedArray<float>(n + 16, pinned: true);
        return Align64((float*)Unsafe.AsPointer(ref buf[0]));
    }

    /// <summary>The grid (row ranges x column ranges) each image is cut into: of every grid of up to 3 x cores parts,
    /// the one the slowest core finishes first by estimate, i.e. the largest part's multiply-adds plus its packing (its
    /// A rows, <see cref="PackWeight"/> each, and B columns, bPack each) times the rounds of batch x parts tasks per core. Enough
    /// images run whole, one per core; a skinny GEMM (conv's 64 x 4225) gets column ranges, a tall one row ranges, and a
    /// part of C is never cut finer than packing pays for. Inside a parallel item (which runs the tasks serially) one part.</summary>
    static (int Tm, int Tn) Grid(in MicroShape sh, int batch, int mPanels, int nPanels, long macs, double bPack)
    {
        int cores = HostParallel.Cores;
        if (macs < SerialMacs || cores == 1 || HostParallel.InItem) return (1, 1);
        (int, int) best = (1, 1);
        double bestCost = double.MaxValue, bestArea = double.MaxValue, bestRows = double.MaxValue;
        for (int p = 1; p <= 3 * cores; p++)
        for (int tm = 1; tm <= p; tm++)
        {
            int tn = p / tm;
            if (tm * tn != p || tm > mPanels || tn > nPanels) continue;
            double rows = Ceil(mPanels, tm) * sh.Mr, cols = Ceil(nPanels, tn) * sh.Nr;
            double cost = (rows * cols + PackWeight * rows + bPack * cols) * Ceil(batch * p, cores);
            // Near ties go to the smaller part where B is gathered from an image: its working set (an image's im2col
            // rows) stays in L2. Elsewhere to the fewer parts, found first: a row part packs all of B again, and each
            // part is a task's overhead (PSPNet-50's forward 0.93 of its time, paired on Zen 5, its 1x1s at 29x29 on
            // 2 row parts instead of 4 and 64-256 x 3249 on 2 column parts instead of 6). Between as many parts of a packed
            // B, to the fewer rows: each thread's packed A (all of K) is smaller, so less of it streams from L3 (GEMM
            // 1024^3 on 2 x 1 parts 0.97 of the time on 1 x 2, paired on Zen 5).
            bool nearTie = cost < bestCost * 1.02;
            if (cost < bestCost * 0.98 || (nearTie && bPack != PackWeight && rows * cols < bestArea)
                || (nearTie && bPack == PackWeight && tm * tn == best.Item1 * best.Item2 && rows < bestRows))
            { best = (tm, tn); bestCost = cost; bestArea = rows * cols; bestRows = rows; }
        }
        return best;
    }

    /// <summary>Panels [mp0, mp1) x [np0, np1) of C over every K block. A part of at most <see cref="RowsInL2"/> rows
    /// packs its A for as many K blocks as fit that budget (all of K for conv weights up to 256 x 256), then finishes
    /// each B panel, packed right before use, over those K blocks, so the C tiles stay in L1 between them; a taller part
    /// walks its rows in sub-blocks of at most <see cref="MicroShape.Mc"/> rows and its columns in B blocks of at most
    /// <see cref="MicroShape.Nc"/>, in the order <see cref="MicroShape.AInL1"/> picks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RunRange(Job j, int mp0, int mp1, int np0, int np1)
    {
        if (mp0 >= mp1 || np0 >= np1) return;
        int MR = j.Shape.Mr, NR = j.Shape.Nr, KC = j.Shape.Kc;
        float beta = j.Beta;
        float* tmp = stackalloc float[MaxTile];
        int rowsP = (mp1 - mp0) * MR;
        if (j.Direct != null) { RunDirect(j, mp0, mp1, np0, np1); return; }
        if (rowsP <= RowsInL2)
        {
            int chunk = AChunk(in j, rowsP, out float* pa);
            float* pb = Scratch(ref _bPanel, KC * NR);
            for (int k0 = 0; k0 < j.K; k0 += chunk)
            {
                int k1 = Math.Min(j.K, k0 + chunk);
                PackAChunk(j, mp0, mp1, k0, k1, pa);
                for (int jp = np0; jp < np1; jp++)
                for (int pc = k0; pc < k1; pc += KC)
                {
                    j.P0 = pc; j.Kc = Math.Min(KC, k1 - pc); j.Beta = pc == 0 ? beta : 1f;
                    // B panel in L1, A panels from L2; prefetch the next tile's C rows (far apart, cold) on its last K block.
                    float* pak = ABlock(in j, pa, rowsP, mp0, k0, pc, j.Kc);
                    PackBPanel(in j, jp, pb);
                    for (int ip = mp0; ip < mp1; ip++)
                        Tile(in j, ip, jp, pak + (long)(ip - mp0) * MR * j.Kc, new PackedRows(pb, NR), tmp, ip + 1 < mp1 && pc + KC >= k1 ? ip + 1 : -1, jp);
                }
            }
            return;
        }
        int subs = Ceil(mp1 - mp0, j.Shape.MaxPanelsPerTask);
        int subPanels = Ceil(mp1 - mp0, subs);
        float* pas = Scratch(ref _aPack, subPanels * MR * KC);
        int ncPanels = Math.Max(1, j.Shape.Nc / NR);
        for (int pc = 0; pc < j.K; pc += KC)
        {
            j.P0 = pc; j.Kc = Math.Min(KC, j.K - pc); j.Beta = pc == 0 ? beta : 1f;
            int kc = j.Kc;
            if (j.Shape.AInL1)
                // A sub-block packed once per K block, B blocks packed in turn against it (B in L2, A panel in L1).
                for (int ib = mp0; ib < mp1; ib += subPanels)
                {
                    int ie = Math.Min(mp1, ib + subPanels);
                    float* pa = APanels(in j, ib, ie, pas);
                    for (int jb = np0; jb < np1; jb += ncPanels)
                    {
                        int je = Math.Min(np1, jb + ncPanels);
                        int fused = FusePackB && PacksInKernel(in j) ? Math.Min(je, j.N / NR) : jb;
                        float* pb = PackBBlock(in j, jb, je, fused > jb);
                        for (int ip = ib; ip < ie; ip++)
                        for (int jp = jb; jp < je; jp++)
                        {
                            float* panel = pb + (long)(jp - jb) * NR * kc;
                            int nip = jp + 1 < je ? ip : ip + 1 < ie ? ip + 1 : -1, njp = jp + 1 < je ? jp + 1 : jb;
                            if (ip == ib && jp < fused)
                                Tile(in j, ip, jp, pa + (long)(ip - ib) * MR * kc,
                                    new PackingRows(j.B + (long)j.P0 * j.Ldb + (long)jp * NR, j.Ldb, panel), tmp, nip, njp);
                            else
                                Tile(in j, ip, jp, pa + (long)(ip - ib) * MR * kc, new PackedRows(panel, NR), tmp, nip, njp);
                        }
                    }
                }
            else
                // B block packed once per K block, A sub-blocks packed in turn against it (B panel in L1, A in L2).
                for (int jb = np0; jb < np1; jb += ncPanels)
                {
                    int je = Math.Min(np1, jb + ncPanels);
                    float* pb = PackBBlock(in j, jb, je);
                    for (int ib = mp0; ib < mp1; ib += subPanels)
                    {
                        int ie = Math.Min(mp1, ib + subPanels);
                        float* pa = APanels(in j, ib, ie, pas);
                        for (int jp = jb; jp < je; jp++)
                        for (int ip = ib; ip < ie; ip++)
                            Tile(in j, ip, jp, pa + (long)(ip - ib) * MR * kc, new PackedRows(pb + (long)(jp - jb) * NR * kc, NR), tmp, ip + 1 < ie ? ip + 1 : -1, jp);
                    }
                }
        }
    }

    /// <summary>Whether a sum over batch images runs column panel by column panel (<see cref="RunRangeSum"/>): where one
    /// image's A rows of the part fit the packed-A budget (<see cref="RowsInL2"/> x Kc floats, so they stream from L2) and
    /// every image's fit <see cref="ThreadAFloats"/>. Paired on Zen 5 against image by image: the weight gradients at
    /// 17x17 batch 4 of 64 channels 0.87, 128 at rate 2 0.92-0.98, 256 at rate 4 0.93, 512 -> 256 0.98 (AVX2: 0.89, 0.95,
    /// 1.0); a 1x1 2048 -> 512 at 29x29 (516 x 841 floats of A per image, streaming from L3) measured 1.02 and keeps the
    /// big-part plan. At most <see cref="MaxSumImages"/> images: their jobs are on the task's stack.</summary>
    static bool SumsByPanel(in MicroShape sh, int batch, int panels, int k) =>
        batch <= MaxSumImages && (long)panels * sh.Mr * k <= (long)RowsInL2 * sh.Kc && (long)batch * panels * sh.Mr * k <= ThreadAFloats;

    const int MaxSumImages = 64;

    /// <summary>A sum's part, panels [mp0, mp1) x [np0, np1) of C = sum over images of jobs[i]'s product: every image's A
    /// packed first, then per column panel every image's B panel in turn against it, so a column panel of C (rows x NR)
    /// stays in cache across the images. Image by image, all of C went through memory once per image (a 256 -> 256 weight
    /// gradient's C is 2.4 MB). Each tile still sums the images and K blocks in order: the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RunRangeSum(Job* jobs, int batch, int mp0, int mp1, int np0, int np1)
    {
        if (mp0 >= mp1 || np0 >= np1) return;
        var sh = jobs[0].Shape;
        int MR = sh.Mr, NR = sh.Nr, KC = sh.Kc, K = jobs[0].K;
        int rowsP = (mp1 - mp0) * MR;
        long aImg = (long)rowsP * K;
        float* pa = Scratch(ref _aSum, checked((int)(batch * aImg)));
        float* pb = Scratch(ref _bPanel, KC * NR);
        float* tmp = stackalloc float[MaxTile];
        for (int img = 0; img < batch; img++) PackAChunk(jobs[img], mp0, mp1, 0, K, pa + img * aImg);
        for (int jp = np0; jp < np1; jp++)
        for (int img = 0; img < batch; img++)
        {
            var j = jobs[img];
            float beta = j.Beta;
            for (int pc = 0; pc < K; pc += KC)
            {
                j.P0 = pc; j.Kc = Math.Min(KC, K - pc); j.Beta = pc == 0 ? beta : 1f;
                float* pak = pa + img * aImg + (long)rowsP * pc;
                PackBPanel(in j, jp, pb);
                for (int ip = mp0; ip < mp1; ip++)
                    Tile(in j, ip, jp, pak + (long)(ip - mp0) * MR * j.Kc, new PackedRows(pb, NR), tmp);
            }
        }
    }

    /// <summary>Rows ahead that a B block's row-by-row packing prefetches (16 measured 0.96-0.98 of the time without, 8 and 32
    /// less; GEMM 1024^3, paired on Zen 5).</summary>
    const int PackAhead = 16;

    /// <summary>Off: B blocks are packed whole before their tiles run (<see cref="PackBBlock"/>), as before the first row
    /// panel's tiles packed them (tests compare the bits of both).</summary>
    public static bool FusePackB { get; set; } = true;

    /// <summary>Whether the first row panel's tiles pack B's full panels as they read them (<see cref="PackingRows"/>): B a
    /// plain row-major matrix read untransposed, in the A-in-L1 order (AVX-512), where a task's B block is packed for its
    /// rows alone. The copy rides on the kernel's loads and stores while the FMAs run, where the block packed first had it
    /// all up front: GEMM 1024^3 on 2 cores 0.94-0.97 of the time, 512^3 0.96, 2048^3 and one core 1.0, DeepLabV3's 1x1
    /// convs 0.97-1.0 (paired, Zen 5). The AVX2 order (B panel in L1, its block shared by every row sub-block) measured
    /// 1.004-1.009 and packs first.</summary>
    static bool PacksInKernel(in Job j) => j.Shape.AInL1 && j.Shape.Nr == 32 && PlainB(in j);

    /// <summary>Whether op(B) is B itself, a row-major matrix read untransposed (no image columns or taps).</summary>
    static bool PlainB(in Job j) => !j.TransB && !j.HasCols && j.Taps == null;

    /// <summary>B panels [jb, je) of the current K block, packed one after another in this thread's block scratch; where
    /// the first row panel's tiles pack the full ones (fullByTiles, <see cref="PacksInKernel"/>), only the partly filled
    /// last one.</summary>
    static float* PackBBlock(in Job j, int jb, int je, bool fullByTiles = false)
    {
        int NR = j.Shape.Nr, step = NR * j.Kc;
        float* pb = Scratch(ref _bBlock, (je - jb) * NR * j.Shape.Kc);
        int full = Math.Min(je, j.N / NR);   // panels [jb, full) have all NR columns
        int first = fullByTiles ? full : jb; // the first panel packed on its own
        if (!fullByTiles && j.Shape.AInL1 && PlainB(in j) && full - jb >= 2 && Sse.IsSupported)
        {
            // Row by row across the block's full panels, each of B's rows read as one run (full - jb) NR floats long and
            // fetched PackAhead rows ahead. Panel by panel it was kc runs of NR floats a row stride apart (4 KB at N = 1024,
            // one L1 set and a page each): packing took 7 % of GEMM 1024^3's time on 2 cores, 4 % this way (perf, Zen 5).
            float* src = j.B + (long)j.P0 * j.Ldb + jb * NR;
            int panels = full - jb, run = panels * NR;
            for (int p = 0; p < j.Kc; p++, src += j.Ldb)
            {
                if (p + PackAhead < j.Kc)
                    for (int q = 0; q < run; q += 16) Sse.Prefetch0(src + PackAhead * (long)j.Ldb + q);
                float* d = pb + p * NR;
                for (int q = 0; q < panels; q++) CopyRow(src + q * NR, d + (long)q * step, NR);
            }
            first = full;
        }
        for (int jp = first; jp < je; jp++) PackBPanel(in j, jp, pb + (long)(jp - jb) * step);
        return pb;
    }

    /// <summary>K per packed A of a part of rowsP rows (rowsP x chunk &lt;= RowsInL2 x Kc floats), and this thread's buffer for it.</summary>
    static int AChunk(in Job j, int rowsP, out float* pa)
    {
        int chunk = Math.Max(1, RowsInL2 / rowsP) * j.Shape.Kc;
        pa = Scratch(ref _aPack, rowsP * Math.Min(chunk, j.K));
        return chunk;
    }

    /// <summary>Panels [mp0, mp1) of the current K block: those of <see cref="ThreadA"/>, or packed now into dst.</summary>
    static float* APanels(in Job j, int mp0, int mp1, float* dst)
    {
        if (j.APre != null) return APanel(in j, mp0);
        PackA(in j, mp0, mp1, dst);
        return dst;
    }

    /// <summary>A rows [mp0*MR, mp1*MR) for K [k0, k1), one K block after another, at pa (nothing where <see cref="ThreadA"/> packed it).</summary>
    static void PackAChunk(Job j, int mp0, int mp1, int k0, int k1, float* pa)
    {
        if (j.APre != null) return;
        int rowsP = (mp1 - mp0) * j.Shape.Mr, KC = j.Shape.Kc;
        for (int pc = k0; pc < k1; pc += KC)
        {
            j.P0 = pc; j.Kc = Math.Min(KC, k1 - pc);
            PackA(in j, mp0, mp1, pa + (long)rowsP * (pc - k0));
        }
    }

    /// <summary>Direct convolution panels [mp0, mp1) x [np0, np1) (<see cref="DirectConv"/>): A packed as in the small-part
    /// plan, B rows read in place, and each panel column's tiles summed over K in an L1 scratch (rows x NR, full tiles: zero
    /// A rows and garbage virtual columns are computed and dropped), then stored as output-row segments.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RunDirect(Job j, int mp0, int mp1, int np0, int np1)
    {
        int MR = j.Shape.Mr, NR = j.Shape.Nr, KC = j.Shape.Kc;
        int rowsP = (mp1 - mp0) * MR;
        int chunk = AChunk(in j, rowsP, out float* pa);
        float* ct = Scratch(ref _cTile, rowsP * NR);
        int* seg = stackalloc int[3 * (NR + 1)];
        var d = j.Direct;
        for (int k0 = 0; k0 < j.K; k0 += chunk)
        {
            int k1 = Math.Min(j.K, k0 + chunk);
            PackAChunk(j, mp0, mp1, k0, k1, pa);
            for (int jp = np0; jp < np1; jp++)
            {
                for (int pc = k0; pc < k1; pc += KC)
                {
                    int kc = Math.Min(KC, k1 - pc);
                    var rows = new OffsetRows(d->X + (long)jp * NR, d->Off + pc);
                    float* pak = ABlock(in j, pa, rowsP, mp0, k0, pc, kc);
                    // A last panel with few virtual columns may compute only those (StoreDirect stops at the last one).
                    for (int ip = mp0; ip < mp1; ip++)
                        Micro(j.Shape, kc, pak + (long)(ip - mp0) * MR * kc, rows, ct + (long)(ip - mp0) * MR * NR, NR, 1f,
                            pc == k0 ? 0f : 1f, j.N - jp * NR);
                }
                StoreDirect(in j, ct, mp0 * MR, Math.Min(j.M, mp1 * MR), jp * NR, seg, k0 == 0 ? j.Beta : 1f);
            }
        }
    }

    /// <summary>C rows [r0, r1) at virtual columns [v0, v0 + NR) = alpha ct + beta C, for the columns that are output
    /// pixels (v = oh Wp + ow with ow &lt; Wo, stored at oh Wo + ow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void StoreDirect(in Job j, float* ct, int r0, int r1, int v0, int* seg, float beta)
    {
        int NR = j.Shape.Nr;
        int n = DirectConv.RealRuns(v0, NR, j.N, j.Direct->Wp, j.Direct->Wo, seg);
        for (int r = r0; r < r1; r++)
        {
            float* src = ct + (long)(r - r0) * NR, dst = j.C + (long)r * j.Ldc;
            for (int sg = 0; sg < n; sg++) StoreRun(src + seg[3 * sg], dst + seg[3 * sg + 1], seg[3 * sg + 2], j.Alpha, beta);
        }
    }

    /// <summary>dst[q] = alpha src[q] + beta dst[q] for q &lt; len (dst not read where beta is 0): a scratch tile's run into C,
    /// the last under 8 floats through a masked load and store where AVX exists (src may be read past len: a tile row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRun(float* src, float* dst, int len, float alpha, float beta)
    {
        var al = Vector256.Create(alpha);
        var be = Vector256.Create(beta);
        int q = 0;
        if (beta == 0f)
            for (; q + 8 <= len; q += 8) Vector256.Store(Vector256.Load(src + q) * al, dst + q);
        else
            for (; q + 8 <= len; q += 8) Vector256.Store(Vector256.Load(src + q) * al + Vector256.Load(dst + q) * be, dst + q);
        if (q == len) return;
        if (Avx.IsSupported)
        {
            var mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(len - q)).AsSingle();
            var v = Vector256.Load(src + q) * al;
            if (beta != 0f) v += Avx.MaskLoad(dst + q, mask) * be;
            Avx.MaskStore(dst + q, mask, v);
            return;
        }
        for (; q < len; q++) dst[q] = beta == 0f ? alpha * src[q] : alpha * src[q] + beta * dst[q];
    }

    /// <summary>One MR x NR tile of C from packed panels; edge tiles and a window C's (<see cref="SgemmBatchedWindow"/>) go
    /// through the scratch tile and are stored run by run (<see cref="RunAt"/>). While it multiplies, the lines of tile
    /// (nip, njp), the one its loop runs next (none: nip &lt; 0), are prefetched: cold, a row stride apart. To the right in
    /// the A-in-L1 order measured 0.96-0.98 of the time without on GEMM 1024^3-2048^3 and the 1x1 2048 -> 512 convs at
    /// 29x29, the next row's first tile at a row's end 0.97-0.995 more, and a window C's runs 0.97-0.98 of a rate-12 ASPP
    /// data gradient's time (paired on Zen 5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Tile<TB>(in Job j, int ip, int jp, float* ap, TB pb, float* tmp, int nip = -1, int njp = 0) where TB : struct, IBRows
    {
        int MR = j.Shape.Mr, NR = j.Shape.Nr, kc = j.Kc;
        int row = ip * MR, col = jp * NR;
        int mr = Math.Min(MR, j.M - row), nr = Math.Min(NR, j.N - col);
        if (nip >= 0 && Sse.IsSupported)
        {
            // The next tile's C rows (cold, a row stride apart) on their way while this one multiplies: each run's lines.
            float* nx = j.C + (long)nip * MR * j.Ldc;
            int rows = Math.Min(MR, j.M - nip * MR);
            for (int v = njp * NR, end = Math.Min(j.N, v + NR), len; v < end; v += len)
            {
                float* run = nx + RunAt(j.CWidth, j.CRowStride, v, end, out len);
                for (int r = 0; r < rows; r++)
                {
                    float* rr = run + (long)r * j.Ldc;
                    for (int q = 0; q < len; q += 16) Sse.Prefetch0(rr + q);
                    Sse.Prefetch0(rr + len - 1);
                }
            }
        }
        if (j.CWidth == 0 && mr == MR && nr == KernelCols(j.Shape, nr))
        {
            Micro(j.Shape, kc, ap, pb, j.C + (long)row * j.Ldc + col, j.Ldc, j.Alpha, j.Beta, nr);
            return;
        }
        // An edge tile or a window C's: the product (MR rows, KernelCols columns) into the scratch tile, then only the
        // valid part to C, run by run.
        Micro(j.Shape, kc, ap, pb, tmp, NR, 1f, 0f, nr);
        for (int v = col, end = col + nr, len; v < end; v += len)
        {
            float* run = j.C + (long)row * j.Ldc + RunAt(j.CWidth, j.CRowStride, v, end, out len);
            for (int r = 0; r < mr; r++) StoreRun(tmp + r * NR + (v - col), run + (long)r * j.Ldc, len, j.Alpha, j.Beta);
        }
    }

    /// <summary>Where C column v of a row is, as an offset from the row's start, and how many of columns [v, end) follow it
    /// contiguously (len): all of them in a plain C (width 0), else up to the end of v's row of a window C
    /// (<see cref="SgemmBatchedWindow"/>: rows of width columns, rowStride apart).</summary>
    static long RunAt(int width, int rowStride, int v, int end, out int len)
    {
        if (width == 0) { len = end - v; return v; }
        len = Math.Min(end - v, width - v % width);
        return (long)(v / width) * rowStride + v % width;
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
                    if (mr == MR && MR >= 8 && Avx.IsSupported)
                    {
                        Avx.Store(d, Avx.LoadVector256(src));
                        if (MR == 12) Sse.Store(d + 8, Sse.LoadVector128(src + 8));
                        continue;
                    }
                    for (; r < mr; r++) d[r] = src[r];
                    for (; r < MR; r++) d[r] = 0f;
                }
            }
            else if (mr == MR && Avx.IsSupported && MR is 6 or 8 or 12)
            {
                // op(A)(i, p) = A[i*lda + p]: 8 columns of the MR rows at a time, transposed in registers (a scalar
                // strided store per float cost as much as the multiply-adds when a conv's N is a few hundred pixels).
                float* src = j.A + (long)row0 * j.Lda + j.P0;
                long lda = j.Lda;
                int p = 0;
                for (; p + 8 <= kc; p += 8)
                {
                    float* d = dst + p * MR;
                    if (MR == 6)
                    {
                        Transpose4x8(src + p, lda, d, MR);
                        for (int q = 0; q < 8; q++) { d[q * MR + 4] = src[4 * lda + p + q]; d[q * MR + 5] = src[5 * lda + p + q]; }
                    }
                    else
                    {
                        Transpose8x8(src + p, lda, d, MR);
                        if (MR == 12) Transpose4x8(src + 8 * lda + p, lda, d + 8, MR);
                    }
                }
                for (; p < kc; p++)
                for (int r = 0; r < MR; r++) dst[p * MR + r] = src[r * lda + p];
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

    /// <summary>B panel jp of the current block: dst[p*NR + q] = op(B)(P0 + p, jp*NR + q), zero past N.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackBPanel(in Job j, int jp, float* dst)
    {
        int kc = j.Kc, NR = j.Shape.Nr;
        int col0 = jp * NR;
        int nr = Math.Min(NR, j.N - col0);
        if (j.HasCols || j.Taps != null)
        {
            if (j.HasCols && !j.TransB) { j.Cols.Panel(j.P0, kc, col0, nr, dst, NR); return; }
            if (j.Taps != null && j.Taps->RealPixels) { PixelTapPanel(in j, col0, nr, dst); return; }
            if (j.Taps != null && Avx.IsSupported) { TapPanel(in j, col0, nr, dst); return; }
            // op(B)(p, q) = col(col0 + q, P0 + p): 8 rows of pixels at a time gathered contiguously (8 x Kc floats, in L1;
            // all NR rows at once would spill to L2 between the gather and the read), then transposed into the panel.
            float* t = Scratch(ref _colRows, 8 * j.Shape.Kc);
            for (int qb = 0; qb < NR; qb += 8)
            {
                for (int q = qb; q < qb + 8; q++)
                {
                    if (q < nr && j.Taps != null)
                        new ReadOnlySpan<float>(j.Taps->X + j.Taps->Off[col0 + q] + j.P0, kc).CopyTo(new Span<float>(t + (long)(q - qb) * kc, kc));
                    else if (q < nr) j.Cols.Row(col0 + q, j.P0, kc, t + (long)(q - qb) * kc, 1);
                    else new Span<float>(t + (long)(q - qb) * kc, kc).Clear();
                }
                int pp = 0;
                if (Avx.IsSupported)
                    for (; pp + 8 <= kc; pp += 8) Transpose8x8(t + pp, kc, dst + pp * NR + qb, NR);
                for (; pp < kc; pp++)
                for (int q = 0; q < 8; q++) dst[pp * NR + qb + q] = t[(long)q * kc + pp];
            }
            return;
        }
        if (!j.TransB)
        {
            // op(B)(p, q) = B[p*ldb + q]: NR contiguous values per p.
            float* src = j.B + (long)j.P0 * j.Ldb + col0;
            if (nr == NR && Sse.IsSupported && j.N - (jp + 1) * NR > 0)
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
                bool prefetch = Sse.IsSupported && j.N - (jp + 1) * NR >= NR;
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

    /// <summary>8 consecutive real output pixels of a tap (tap: the tap's offset in the padded image, o: the first
    /// pixel's offset in its run) where output rows are at least 8 wide: lanes below cut from this output row, the rest
    /// from the next, which starts skip = Wp - Wo floats past where this row's run would go on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> PixelBlock(float* tap, int o, int cut, int skip) => cut >= 8
        ? Avx.LoadVector256(tap + o)
        : Avx.BlendVariable(Avx.LoadVector256(tap + o), Avx.LoadVector256(tap + o + skip),
            Vector256.GreaterThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(cut - 1)).AsSingle());

    /// <summary>A transposed panel of a stride-1 conv's taps at its real output pixels (<see cref="Job.Taps"/> with
    /// <see cref="DirectConv.RealPixels"/>, rows at least 8 wide): dst[p NR + q] = X[(oh Wp + ow)(P0 + p) + Off[col0 + q]],
    /// 8 taps x 8 pixels at a time as 8 <see cref="PixelBlock"/>s and a register transpose. No bounds test (the padding is
    /// in the image) and no extra pixels: gathering each output-row segment of each tap and transposing it had cost
    /// 16-35 % of a weight gradient at 17x17 and 65x65, and hardware gathers were slower still.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PixelTapPanel(in Job j, int col0, int nr, float* dst)
    {
        int kc = j.Kc, NR = j.Shape.Nr, wo = j.Taps->Wo, wp = j.Taps->Wp;
        float* x = j.Taps->X;
        int* off = j.Taps->Off + col0;
        // Each pixel's offset in a tap's run, and for each block of 8 the pixels left in its first output row.
        int* at = stackalloc int[kc], cut = stackalloc int[kc / 8 + 1];
        for (int p = 0, oh = j.P0 / wo, ow = j.P0 % wo; p < kc; p++)
        {
            at[p] = oh * wp + ow;
            if (p % 8 == 0) cut[p / 8] = wo - ow;
            if (++ow == wo) { ow = 0; oh++; }
        }
        int blocks = Avx.IsSupported ? kc / 8 : 0;
        float** r = stackalloc float*[8];
        for (int qb = 0; qb < NR; qb += 8)
        {
            // Taps past nr read tap col0 (inside the image); their columns are cleared below.
            for (int q = 0; q < 8; q++) r[q] = x + off[qb + q < nr ? qb + q : 0];
            for (int b = 0; b < blocks; b++)
            {
                int o = at[8 * b], a = cut[b], skip = wp - wo;
                Transpose8x8(PixelBlock(r[0], o, a, skip), PixelBlock(r[1], o, a, skip), PixelBlock(r[2], o, a, skip),
                    PixelBlock(r[3], o, a, skip), PixelBlock(r[4], o, a, skip), PixelBlock(r[5], o, a, skip),
                    PixelBlock(r[6], o, a, skip), PixelBlock(r[7], o, a, skip), dst + 8 * b * NR + qb, NR);
            }
            for (int p = 8 * blocks; p < kc; p++)
            for (int q = 0; q < 8; q++) dst[p * NR + qb + q] = r[q][at[p]];
        }
        if (nr < NR)
            for (int p = 0; p < kc; p++) new Span<float>(dst + p * NR + nr, NR - nr).Clear();
    }

    /// <summary>A transposed panel whose columns are taps of the padded image (<see cref="Job.Taps"/>): each tap's kc
    /// pixels are contiguous there, so 8 taps at a time are transposed straight from the image, no gather in between.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void TapPanel(in Job j, int col0, int nr, float* dst)
    {
        int kc = j.Kc, NR = j.Shape.Nr;
        float* zero = Scratch(ref _colRows, j.Shape.Kc);
        new Span<float>(zero, kc).Clear();
        float** r = stackalloc float*[8];
        for (int qb = 0; qb < NR; qb += 8)
        {
            for (int q = 0; q < 8; q++) r[q] = qb + q < nr ? j.Taps->X + j.Taps->Off[col0 + qb + q] + j.P0 : zero;
            TransposeRows(r, 8, kc, dst + qb, NR);
        }
    }

    /// <summary>dst[p*ldd + q] = r[q][p] for q &lt; rows and p &lt; n, any number of rows: 8 and then 4 rows at a time with
    /// 8 floats of each row transposed in registers (where AVX exists), the rest one at a time. Rows anywhere (taps of an
    /// image, pixels of a channels-last image, a weight's runs of taps).</summary>
    internal static void TransposeRows(float** r, int rows, int n, float* dst, long ldd)
    {
        for (int q0 = 0, k; q0 < rows; q0 += k)
        {
            k = rows - q0 >= 8 ? 8 : rows - q0 >= 4 ? 4 : rows - q0;
            TransposeRowBlock(r + q0, k, n, dst + q0, ldd);
        }
    }

    /// <summary><see cref="TransposeRows"/> for at most 8 rows: in registers for 8 or 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void TransposeRowBlock(float** r, int rows, int n, float* dst, long ldd)
    {
        int pp = 0;
        if (!Avx.IsSupported) { }
        else if (rows == 8)
            for (; pp + 8 <= n; pp += 8)
                Transpose8x8(Avx.LoadVector256(r[0] + pp), Avx.LoadVector256(r[1] + pp), Avx.LoadVector256(r[2] + pp),
                    Avx.LoadVector256(r[3] + pp), Avx.LoadVector256(r[4] + pp), Avx.LoadVector256(r[5] + pp),
                    Avx.LoadVector256(r[6] + pp), Avx.LoadVector256(r[7] + pp), dst + pp * ldd, ldd);
        else if (rows == 4)
            for (; pp + 8 <= n; pp += 8)
                Transpose4x8(Avx.LoadVector256(r[0] + pp), Avx.LoadVector256(r[1] + pp), Avx.LoadVector256(r[2] + pp),
                    Avx.LoadVector256(r[3] + pp), dst + pp * ldd, ldd);
        for (; pp < n; pp++)
        for (int q = 0; q < rows; q++) dst[pp * ldd + q] = r[q][pp];
    }

    /// <summary>dst[c*ldd + r] = src[r*lds + c] for r &lt; rows, c &lt; cols: 8x8 blocks in registers where AVX exists,
    /// the edges one float at a time (channels-last copies in and out of planes). Fully optimised from its first call: its
    /// tier-0 code (Transpose8x8 not inlined) was still running after 400 single-thread 64-channel convs, 8 % of their time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Transpose(float* src, long lds, float* dst, long ldd, int rows, int cols)
    {
        int r8 = Avx.IsSupported ? rows / 8 * 8 : 0, c8 = Avx.IsSupported ? cols / 8 * 8 : 0;
        for (int r = 0; r < r8; r += 8)
            for (int c = 0; c < c8; c += 8) Transpose8x8(src + r * lds + c, lds, dst + c * ldd + r, ldd);
        for (int r = 0; r < rows; r++)
            for (int c = r < r8 ? c8 : 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
    }

    /// <summary>dst[c*ldd + r] = src[r*lds + c] for an 8x8 block (AVX unpack/shuffle/permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, long lds, float* dst, long ldd) =>
        Transpose8x8(Avx.LoadVector256(src), Avx.LoadVector256(src + lds), Avx.LoadVector256(src + 2 * lds),
            Avx.LoadVector256(src + 3 * lds), Avx.LoadVector256(src + 4 * lds), Avx.LoadVector256(src + 5 * lds),
            Avx.LoadVector256(src + 6 * lds), Avx.LoadVector256(src + 7 * lds), dst, ldd);

    /// <summary>dst[c*ldd + r] = row r's float c for 8 rows of 8 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, long ldd)
    {
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

    /// <summary>dst[c*ldd + r] = src[r*lds + c] for a 4-row x 8-column block (rows of 4 floats out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose4x8(float* src, long lds, float* dst, long ldd) =>
        Transpose4x8(Avx.LoadVector256(src), Avx.LoadVector256(src + lds), Avx.LoadVector256(src + 2 * lds),
            Avx.LoadVector256(src + 3 * lds), dst, ldd);

    /// <summary>dst[c*ldd + r] = row r's float c for 4 rows of 8 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose4x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3, float* dst, long ldd)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        Sse.Store(dst, u0.GetLower()); Sse.Store(dst + ldd, u1.GetLower());
        Sse.Store(dst + 2 * ldd, u2.GetLower()); Sse.Store(dst + 3 * ldd, u3.GetLower());
        Sse.Store(dst + 4 * ldd, u0.GetUpper()); Sse.Store(dst + 5 * ldd, u1.GetUpper());
        Sse.Store(dst + 6 * ldd, u2.GetUpper()); Sse.Store(dst + 7 * ldd, u3.GetUpper());
    }

    /// <summary>n floats (a multiple of Vector&lt;float&gt;.Count) from src to dst.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void CopyRow(float* src, float* dst, int n)
    {
        for (int q = 0; q < n; q += System.Numerics.Vector<float>.Count)
            Unsafe.WriteUnaligned(dst + q, Unsafe.ReadUnaligned<System.Numerics.Vector<float>>(src + q));
    }

    /// <summary>Columns a micro-kernel writes for a tile with nr live ones: Nr, or Nr / 2 where the path has a half-width
    /// kernel (AVX-512; AVX2's half would be 8 wide) and nr fits it.</summary>
    static int KernelCols(in MicroShape sh, int nr) => sh.Path == HostSimdPath.Avx512 && nr <= sh.Nr / 2 ? sh.Nr / 2 : sh.Nr;

    /// <summary>One tile: MR rows of c, its first <see cref="KernelCols"/>(sh, nr) columns (nr: the tile's live columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Micro<TB>(in MicroShape sh, int kc, float* a, TB b, float* c, int ldc, float alpha, float beta, int nr) where TB : struct, IBRows
    {
        switch (sh.Path)
        {
            case HostSimdPath.Avx512 when nr <= sh.Nr / 2: HostGemmKernels512.RunHalf(sh.Mr, kc, a, b, c, ldc, alpha, beta); break;
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
