using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>nn.BatchNorm2d: weight ones, bias zeros, buffers running_mean, running_var and
/// num_batches_tracked (an int scalar, counted on the host and written out on StateDict()).</summary>
public sealed class BatchNorm2d : Module
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    public Tensor NumBatchesTracked { get; }
    public long BatchesTracked { get; private set; }
    public float Momentum { get; set; } = 0.1f;
    public float Eps { get; set; } = 1e-5f;
    public int NumFeatures { get; }

    public BatchNorm2d(Device device, int numFeatures)
    {
        NumFeatures = numFeatures;
        using (Tensor.NoScope())
        {
            Weight = RegisterParameter("weight", Tensor.Full(device, 1f, numFeatures));
            Bias = RegisterParameter("bias", Tensor.Zeros(device, numFeatures));
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(device, numFeatures));
            RunningVar = RegisterBuffer("running_var", Tensor.Full(device, 1f, numFeatures));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.ZerosInt(device));
        }
    }

    /// <summary>Set by data-parallel training with sync_bn: training forwards then use the global batch's
    /// statistics (<see cref="SyncBatchNorm"/>); null: this process's batch (the engine's fused kernels).</summary>
    public IBatchNormSync? Sync { get; set; }

    public override Tensor Forward(Tensor x) => Normalize(x, null, relu: false);

    /// <summary>relu(this(x) + residual) (residual optional) as one op and one buffer (<see cref="F.BatchNormRelu2d"/>);
    /// with sync_bn the composed ops.</summary>
    public Tensor ForwardRelu(Tensor x, Tensor? residual = null) => Normalize(x, residual, relu: true);

    Tensor Normalize(Tensor x, Tensor? residual, bool relu)
    {
        if (IsTraining) BatchesTracked++;
        if (IsTraining && Sync is not null)
        {
            var y = SyncBatchNorm.Forward(this, x, Sync);
            if (residual is not null) y = F.Add(y, residual);
            return relu ? F.Relu(y) : y;
        }
        return relu
            ? F.BatchNormRelu2d(x, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps, residual)
            : F.BatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps);
    }

    protected override void SyncStateOut()
    {
        using var v = Tensor.FromArray(NumBatchesTracked.Device, new[] { (int)Math.Min(int.MaxValue, BatchesTracked) });
        NumBatchesTracked.CopyFrom(v);
    }

    protected override void SyncStateIn() => BatchesTracked = NumBatchesTracked.ToIntArray()[0];

    public override string ToString() => $"BatchNorm2d({NumFeatures})";
}
