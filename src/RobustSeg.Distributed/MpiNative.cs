using System.Runtime.InteropServices;

namespace RobustSeg.Distributed;

/// <summary>Thin binding of the few MPI calls we need (init, rank/size, reduce, allreduce, broadcast, allgather,
/// barrier, abort, finalize) over Open MPI's libmpi.so.40 (Debian openmpi-bin /
/// libopenmpi-dev, Open MPI 4.1). Chosen over the MPI.NET package, whose native side targets MPICH/MS-MPI
/// conventions: in Open MPI the predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the
/// ADDRESSES of exported globals (ompi_mpi_comm_world, ...), which we read with NativeLibrary.GetExport.
/// The library is opened RTLD_GLOBAL first because Open MPI's plugins (mca_*.so) resolve libmpi's
/// symbols globally; .NET's own loader opens libraries RTLD_LOCAL.</summary>
internal static unsafe class MpiNative
{
    const string LibName = "libmpi.so.40";
    public const int Success = 0;

    static readonly nint Lib = Load();
    public static readonly nint CommWorld = NativeLibrary.GetExport(Lib, "ompi_mpi_comm_world");
    public static readonly nint Float = NativeLibrary.GetExport(Lib, "ompi_mpi_float");
    public static readonly nint Double = NativeLibrary.GetExport(Lib, "ompi_mpi_double");
    public static readonly nint LongLong = NativeLibrary.GetExport(Lib, "ompi_mpi_long_long_int");
    public static readonly nint Byte = NativeLibrary.GetExport(Lib, "ompi_mpi_byte");
    public static readonly nint OpSum = NativeLibrary.GetExport(Lib, "ompi_mpi_op_sum");
    /// <summary>Open MPI defines MPI_IN_PLACE as ((void*)1).</summary>
    public static readonly nint InPlace = 1;

    public static readonly delegate* unmanaged<int*, nint*, int> Init = (delegate* unmanaged<int*, nint*, int>)Fn("MPI_Init");
    public static readonly delegate* unmanaged<int*, int> Initialized = (delegate* unmanaged<int*, int>)Fn("MPI_Initialized");
    public static readonly delegate* unmanaged<int*, int> Finalized = (delegate* unmanaged<int*, int>)Fn("MPI_Finalized");
    public static readonly delegate* unmanaged<int> Finalize = (delegate* unmanaged<int>)Fn("MPI_Finalize");
    public static readonly delegate* unmanaged<nint, int*, int> CommRank = (delegate* unmanaged<nint, int*, int>)Fn("MPI_Comm_rank");
    public static readonly delegate* unmanaged<nint, int*, int> CommSize = (delegate* unmanaged<nint, int*, int>)Fn("MPI_Comm_size");
    public static readonly delegate* unmanaged<nint, int> BarrierFn = (delegate* unmanaged<nint, int>)Fn("MPI_Barrier");
    public static readonly delegate* unmanaged<nint, int, int> AbortFn = (delegate* unmanaged<nint, int, int>)Fn("MPI_Abort");
    // MPI_Bcast(buf, count, type, root, comm)
    public static readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast =
        (delegate* unmanaged<void*, int, nint, int, nint, int>)Fn("MPI_Bcast");
    // MPI_Allreduce(send, recv, count, type, op, comm)
    public static readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce =
        (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Fn("MPI_Allreduce");
    // MPI_Reduce(send, recv, count, type, op, root, comm)
    public static readonly delegate* unmanaged<void*, void*, int, nint, nint, int, nint, int> ReduceFn =
        (delegate* unmanaged<void*, void*, int, nint, nint, int, nint, int>)Fn("MPI_Reduce");
    // MPI_Allgather(send, scount, stype, recv, rcount, rtype, comm)
    public static readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather =
        (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Fn("MPI_Allgather");

    static nint Fn(string name) => NativeLibrary.GetExport(Lib, name);

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    static extern nint DlOpen(string file, int mode);
    const int RtldNow = 2, RtldGlobal = 0x100;

    static nint Load()
    {
        var global = DlOpen(LibName, RtldNow | RtldGlobal);
        if (global == 0 || !NativeLibrary.TryLoad(LibName, out var h))
            throw new DllNotFoundException(
                $"{LibName} (Open MPI) was not found: install it with `apt-get install openmpi-bin libopenmpi-dev`");
        return h;
    }

    public static void Check(int rc, string call)
    {
        if (rc != Success) throw new InvalidOperationException($"{call} failed with MPI error code {rc}");
    }
}
