using System.Globalization;
using System.Text;
using ILGPU;
using ILGPU.Runtime;

namespace RobustSeg.Engine;

public enum DType { Float32, Int32 }

/// <summary>A contiguous tensor (float32, or int32 for labels and indices) in NCHW order on one device.
/// Created tensors belong to the current <see cref="TensorScope"/>; tensors made outside a scope
/// (parameters, gradients) live until disposed.</summary>
public sealed partial class Tensor : IDisposable
{
    int[] _shape;
    Storage? _storage;

    public Device Device { get; }
    public DType DType { get; }
    public long Numel { get; }
    public string? Name { get; set; }
    internal TensorScope? OwnerScope { get; set; }

    /// <summary>Leaf tensors with this set get <see cref="Grad"/> from Backward; ops record a tape node
    /// when any input has it and grad mode is on.</summary>
    public bool RequiresGrad { get; set; }
    /// <summary>Accumulated gradient (a leaf's, after Backward). Owned by this tensor, outside scopes.</summary>
    public Tensor? Grad { get; set; }
    public Node? GradFn { get; internal set; }
    public bool IsLeaf => GradFn is null;

    /// <summary>For int32 tensors: the values it holds when known on the host (see <see cref="IntValueSet"/>);
    /// null when unknown. Set on upload and by ops with a known output range; any other write clears it.</summary>
    public IntValueSet? KnownValues { get; internal set; }

    internal Tensor(Device device, int[] shape, DType dtype, Storage? shared = null)
    {
        foreach (var s in shape)
            if (s < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(", ", shape)}]");
        Device = device;
        DType = dtype;
        _shape = (int[])shape.Clone();
        Numel = ShapeNumel(shape);
        if (shared is null && t_shapesOnly > 0) IsShapeOnly = true;
        else if (shared is null) _storage = new Storage(device, Numel);
        else { shared.AddRef(); _storage = shared; }
        TensorScope.Track(this);
    }

    [ThreadStatic] static int t_shapesOnly;

    /// <summary>While the returned scope lives (on this thread), new tensors get a shape and no storage: a module built
    /// inside it lays out its parameters' names and shapes without allocating them (to check a checkpoint's tensor
    /// table against the architecture before building the model). Such tensors cannot be read or written.</summary>
    public static IDisposable ShapesOnly()
    {
        t_shapesOnly++;
        return new ShapesOnlyScope();
    }

    sealed class ShapesOnlyScope : IDisposable
    {
        bool _done;
        public void Dispose() { if (!_done) { _done = true; t_shapesOnly--; } }
    }

    /// <summary>Made inside <see cref="ShapesOnly"/>: a shape without storage.</summary>
    public bool IsShapeOnly { get; }

    public static long ShapeNumel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        return n;
    }

    public int[] Shape => (int[])_shape.Clone();
    public ReadOnlySpan<int> ShapeSpan => _shape;
    public int Rank => _shape.Length;
    public int Size(int dim) => _shape[dim < 0 ? dim + _shape.Length : dim];
    public bool IsDisposed => _storage is null;

    public Storage Storage => _storage ?? throw (IsShapeOnly ? new InvalidOperationException($"tensor {ShapeString} was made under Tensor.ShapesOnly and has no storage") : new ObjectDisposedException(
        $"tensor{(Name is null ? "" : " '" + Name + "'")} [{string.Join(", ", _shape)}]",
        "the tensor was disposed (did its Tensor.Scope end before it was used?)"));

    /// <summary>The float view of the storage (what kernels take).</summary>
    public ArrayView<float> View
    {
        get
        {
            if (DType != DType.Float32) throw new InvalidOperationException($"tensor is {DType}, expected Float32");
            return Storage.View.SubView(0, Math.Max(1, Numel));
        }
    }

    /// <summary>The raw 32-bit words of either dtype as floats: for kernels that only move data (copies, fills),
    /// so one kernel serves float and int32 tensors. Never do arithmetic on it.</summary>
    internal ArrayView<float> Bits => Storage.View.SubView(0, Math.Max(1, Numel));

    /// <summary>The int32 view of an Int32 tensor.</summary>
    public ArrayView<int> IntView
    {
        get
        {
            if (DType != DType.Int32) throw new InvalidOperationException($"tensor is {DType}, expected Int32");
            return Storage.View.SubView(0, Math.Max(1, Numel)).Cast<int>();
        }
    }

    /// <summary>Host pointer to the data: valid only on CPU-accelerator devices (zero-copy host path).</summary>
    public unsafe float* Ptr
    {
        get
        {
            if (!Device.IsCpuAccelerator) throw new InvalidOperationException("host pointers exist only on CPU devices");
            return (float*)Storage.View.LoadEffectiveAddressAsPtr();
        }
    }

    public unsafe int* IntPtr => (int*)Ptr;

    // ---------- creation ----------

    public static Tensor Empty(Device device, params int[] shape) => new(device, shape, DType.Float32);
    public static Tensor EmptyInt(Device device, params int[] shape) => new(device, shape, DType.Int32);

    public static Tensor Zeros(Device device, params int[] shape)
    {
        var t = new Tensor(device, shape, DType.Float32);
        if (!t.IsShapeOnly) t.Storage.View.MemSetToZero(device.Accelerator.DefaultStream);
        return t;
    }

    public static Tensor ZerosInt(Device device, params int[] shape)
    {
        var t = new Tensor(device, shape, DType.Int32);
        if (!t.IsShapeOnly) t.Storage.View.MemSetToZero(device.Accelerator.DefaultStream);
        t.KnownValues = IntValueSet.Single(0);
        return t;
    }

    public static Tensor Full(Device device, float value, params int[] shape)
    {
        var t = Empty(device, shape);
        if (!t.IsShapeOnly) device.Backend.Fill(t, value);
        return t;
    }

    /// <summary>An int32 tensor filled with <paramref name="value"/> (label maps, e.g. an all-ignore map).</summary>
    public static Tensor FullInt(Device device, int value, params int[] shape)
    {
        var t = EmptyInt(device, shape);
        device.Backend.Fill(t, value);
        t.KnownValues = IntValueSet.Single(value);
        return t;
    }

    public static Tensor ZerosLike(Tensor t) => t.DType == DType.Int32 ? ZerosInt(t.Device, t._shape) : Zeros(t.Device, t._shape);
    public static Tensor EmptyLike(Tensor t) => new(t.Device, t._shape, t.DType);
    public static Tensor EmptyLike(Tensor t, int[] shape) => new(t.Device, shape, t.DType);

    public static Tensor FromArray(Device device, float[] data, params int[] shape)
    {
        CheckLength(data.Length, shape);
        var t = new Tensor(device, shape, DType.Float32);
        if (data.Length > 0) { t.View.SubView(0, data.Length).CopyFromCPU(device.Accelerator.DefaultStream, data); TransferCounter.Write(4L * data.Length); }
        return t;
    }

    public static Tensor FromArray(Device device, int[] data, params int[] shape)
    {
        CheckLength(data.Length, shape);
        var t = new Tensor(device, shape, DType.Int32);
        if (data.Length > 0) { t.IntView.SubView(0, data.Length).CopyFromCPU(device.Accelerator.DefaultStream, data); TransferCounter.Write(4L * data.Length); }
        t.KnownValues = IntValueSet.Of(data);
        return t;
    }

    public static Tensor Scalar(Device device, float value) => FromArray(device, [value]);

    static void CheckLength(long length, int[] shape)
    {
        if (ShapeNumel(shape) != length)
            throw new ArgumentException($"data has {length} elements but shape [{string.Join(", ", shape)}] needs {ShapeNumel(shape)}");
    }

    // ---------- copies ----------

    public float[] ToArray()
    {
        var a = new float[Numel];
        if (Numel == 0) return a;
        if (DType == DType.Int32) { var ints = ToIntArray(); for (int i = 0; i < a.Length; i++) a[i] = ints[i]; return a; }
        View.SubView(0, Numel).CopyToCPU(Device.Accelerator.DefaultStream, a);
        Device.Accelerator.DefaultStream.Synchronize();
        TransferCounter.Read(4L * Numel);
        return a;
    }

    public int[] ToIntArray()
    {
        if (DType != DType.Int32) throw new InvalidOperationException($"tensor is {DType}, expected Int32");
        var a = new int[Numel];
        if (Numel == 0) return a;
        IntView.SubView(0, Numel).CopyToCPU(Device.Accelerator.DefaultStream, a);
        Device.Accelerator.DefaultStream.Synchronize();
        TransferCounter.Read(4L * Numel);
        return a;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs one element, tensor has {Numel}");
        return ToArray()[0];
    }

    public void CopyFrom(float[] data)
    {
        CheckLength(data.Length, _shape);
        if (data.Length > 0) { View.SubView(0, data.Length).CopyFromCPU(Device.Accelerator.DefaultStream, data); TransferCounter.Write(4L * data.Length); }
    }

    /// <summary>Copies the values of another tensor of the same size (any device) into this one.</summary>
    public void CopyFrom(Tensor src)
    {
        if (src.Numel != Numel || src.DType != DType)
            throw new ArgumentException($"copy from [{string.Join(", ", src._shape)}] {src.DType} into [{string.Join(", ", _shape)}] {DType}");
        KnownValues = src.KnownValues;
        if (src.Device == Device) { Device.Backend.Copy(src, this); return; }
        if (DType == DType.Int32) { var d = src.ToIntArray(); IntView.SubView(0, d.Length).CopyFromCPU(Device.Accelerator.DefaultStream, d); TransferCounter.Write(4L * d.Length); }
        else CopyFrom(src.ToArray());
    }

    /// <summary>A copy on another device (or the same), detached from the tape.</summary>
    public Tensor To(Device device)
    {
        var t = new Tensor(device, _shape, DType);
        t.CopyFrom(this);
        return t;
    }

    public Tensor Clone() => To(Device);

    /// <summary>A tensor sharing this one's data with another shape of the same size (no tape node:
    /// use F.Reshape inside differentiable code).</summary>
    public Tensor ViewAs(params int[] shape)
    {
        shape = ResolveShape(shape);
        return new Tensor(Device, shape, DType, Storage) { KnownValues = KnownValues };
    }

    internal int[] ResolveShape(int[] shape)
    {
        shape = (int[])shape.Clone();
        int infer = Array.IndexOf(shape, -1);
        if (infer >= 0)
        {
            long rest = 1;
            for (int i = 0; i < shape.Length; i++) if (i != infer) rest *= shape[i];
            shape[infer] = rest == 0 ? 0 : (int)(Numel / rest);
        }
        if (ShapeNumel(shape) != Numel)
            throw new ArgumentException($"cannot view [{string.Join(", ", _shape)}] as [{string.Join(", ", shape)}]");
        return shape;
    }

    /// <summary>Shares data, drops the tape: the result never requires grad.</summary>
    public Tensor Detach() => new(Device, _shape, DType, Storage) { KnownValues = KnownValues };

    /// <summary>Moves this tensor out of its scope into the enclosing one.</summary>
    public Tensor KeepAlive()
    {
        OwnerScope?.Keep(this);
        return this;
    }

    /// <summary>Removes the tensor from every scope: it lives until disposed (parameters, buffers).</summary>
    public Tensor Persist()
    {
        OwnerScope?.Forget(this);
        OwnerScope = null;
        return this;
    }

    public static TensorScope Scope() => new(false);
    /// <summary>Tensors created inside are not owned by any scope.</summary>
    public static TensorScope NoScope() => new(true);

    public void Dispose()
    {
        var s = _storage;
        _storage = null;
        s?.Release();
        OwnerScope?.Forget(this);
        OwnerScope = null;
        GradFn = null;
    }

    // ---------- display ----------

    public string ShapeString => "[" + string.Join(", ", _shape) + "]";

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("tensor(").Append(ShapeString).Append(", ").Append(DType == DType.Int32 ? "int32" : "float32")
          .Append(", ").Append(Device.Name);
        if (RequiresGrad) sb.Append(", requires_grad");
        if (IsDisposed) return sb.Append(", disposed)").ToString();
        sb.Append(')');
        if (Numel > 1000) return sb.ToString();
        var v = ToArray();
        sb.Append('\n');
        Format(sb, v, 0, 0, 0);
        return sb.ToString();
    }

    void Format(StringBuilder sb, float[] v, int dim, long offset, int indent)
    {
        if (_shape.Length == 0) { sb.Append(Fmt(v[0])); return; }
        long stride = 1;
        for (int d = dim + 1; d < _shape.Length; d++) stride *= _shape[d];
        sb.Append('[');
        for (int i = 0; i < _shape[dim]; i++)
        {
            if (i > 0)
            {
                sb.Append(dim == _shape.Length - 1 ? ", " : ",\n" + new string(' ', indent + 1));
            }
            if (dim == _shape.Length - 1) sb.Append(Fmt(v[offset + i]));
            else Format(sb, v, dim + 1, offset + i * stride, indent + 1);
        }
        sb.Append(']');
    }

    string Fmt(float x) => DType == DType.Int32 ? ((int)x).ToString(CultureInfo.InvariantCulture) : x.ToString("G5", CultureInfo.InvariantCulture);
}
