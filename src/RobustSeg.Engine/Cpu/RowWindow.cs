namespace RobustSeg.Engine.Cpu;

/// <summary>One thread's window onto an image's channels-last padded rows: rows [Start, End) of the zero-padded image
/// (Hp rows of Wp pixels), channels [c0, c0 + nc), each pixel's nc channels contiguous, in a buffer of the thread's own
/// (sized to stay in L2). The channels-last paths read a few rows at a time (a tile's pixels and the rows their taps
/// reach), so each core lays out only the rows it is about to read; a whole channels-last copy of the input written
/// first went to memory and back (a tenth of a 64-channel conv's time at 65x65). Moving on keeps the rows still
/// wanted (a kernel's halo) and lays out only the new ones; after the last row, <c>slack</c> pixels of zeros, so reads
/// a little past it (lanes whose results are dropped, taps multiplied by zeros) stay in the buffer and are finite. One
/// window per thread at a time: its buffer is the thread's.</summary>
internal unsafe struct RowWindow
{
    readonly Conv2dGeom _g;
    readonly float* _x, _buf;
    readonly long _xImg, _rowF;
    readonly int _nc, _capacity, _slack, _hp;
    /// <summary>The image and the rows held.</summary>
    int _image, _start, _end;

    /// <summary>This thread's buffer (<see cref="HostGemm.Scratch"/>).</summary>
    [ThreadStatic] static float[]? _buffer;

    /// <summary>A window on x (images xImg apart, C x H x W each) at channel c0 for up to capacity rows of nc channels and
    /// slack pixels after them, in this thread's buffer, holding nothing yet.</summary>
    public RowWindow(in Conv2dGeom g, float* x, long xImg, int c0, int nc, int capacity, int slack)
    {
        _g = g; _x = x + (long)c0 * g.InSpatial; _xImg = xImg; _nc = nc; _capacity = capacity; _slack = slack;
        _rowF = (long)DirectConv.PaddedW(g) * nc; _hp = g.H + 2 * g.Pad;
        _buf = HostGemm.Scratch(ref _buffer, checked((int)(capacity * _rowF + (long)slack * nc)));
        _image = -1;
    }

    /// <summary>Makes rows [lo, hi) of image n present (hi - lo at most the capacity; rows past the image are not) and
    /// returns where that image's padded pixel 0 would be: pixel v of a present row is at the result + v nc.</summary>
    public float* Cover(int n, int lo, int hi)
    {
        hi = Math.Min(hi, _hp);
        if (n != _image || lo < _start) (_image, _start, _end) = (n, lo, lo);
        if (hi > _end)
        {
            if (hi - lo > _capacity) throw new InvalidOperationException($"row window: rows {lo}..{hi} exceed its {_capacity}");
            int keep = Math.Max(0, _end - lo), end = Math.Min(_hp, lo + _capacity);
            if (keep > 0 && lo > _start) Buffer.MemoryCopy(_buf + (lo - _start) * _rowF, _buf, keep * _rowF * 4, keep * _rowF * 4);
            float* xi = _x + n * _xImg;
            for (int r = lo + keep; r < end; r++) Fill(xi, r, _buf + (r - lo) * _rowF);
            new Span<float>(_buf + (end - lo) * _rowF, _slack * _nc).Clear();
            (_start, _end) = (lo, end);
        }
        return _buf - _start * _rowF;
    }

    /// <summary>Padded row r of the image at xi (already at channel c0) into dst: zero in the padding, the W pixels'
    /// nc channels transposed from the input planes.</summary>
    void Fill(float* xi, int r, float* dst)
    {
        int wp = DirectConv.PaddedW(_g), h = r - _g.Pad;
        if (h < 0 || h >= _g.H) { new Span<float>(dst, wp * _nc).Clear(); return; }
        new Span<float>(dst, _g.Pad * _nc).Clear();
        new Span<float>(dst + (long)(_g.Pad + _g.W) * _nc, (wp - _g.Pad - _g.W) * _nc).Clear();
        HostGemm.Transpose(xi + (long)h * _g.W, _g.InSpatial, dst + (long)_g.Pad * _nc, _nc, _nc, _g.W);
    }
}
