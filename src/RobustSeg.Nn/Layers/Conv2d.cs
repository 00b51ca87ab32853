using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>How a Conv2d starts: semseg's ResNet recipe, or PyTorch's own default (what the original's heads keep).</summary>
public enum ConvInit
{
    /// <summary>Weight Kaiming-normal fan_out (ReLU gain); bias zero. The ResNet backbone's init.</summary>
    KaimingNormalFanOut,
    /// <summary>nn.Conv2d.reset_parameters: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
    TorchDefault,
}

/// <summary>nn.Conv2d (square kernel, symmetric stride/padding/dilation). Weight (out, in, k, k); init per
/// <see cref="ConvInit"/> (Kaiming-normal fan_out and zero bias unless told otherwise).</summary>
public sealed class Conv2d : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; set; }
    public int Padding { get; set; }
    public int Dilation { get; set; }

    public Conv2d(Device device, int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int dilation = 1, bool bias = true, SeededRandom? rng = null, ConvInit init = ConvInit.KaimingNormalFanOut)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0)
            throw new ArgumentException($"conv2d: channels and kernel must be positive (in {inChannels}, out {outChannels}, k {kernelSize})");
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize;
        Stride = stride; Padding = padding; Dilation = dilation;
        using (Tensor.NoScope())
        {
            Weight = RegisterParameter("weight", Tensor.Empty(device, outChannels, inChannels, kernelSize, kernelSize));
            if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(device, outChannels));
            if (init == ConvInit.TorchDefault) Init.TorchDefault(Weight, Bias, rng ?? new SeededRandom(0));
            else Init.KaimingNormalFanOut(Weight, rng ?? new SeededRandom(0));
        }
    }

    public override Tensor Forward(Tensor x) => F.Conv2d(x, Weight, Bias, Stride, Padding, Dilation);

    public override string ToString() =>
        $"Conv2d({InChannels}, {OutChannels}, k={KernelSize}, s={Stride}, p={Padding}, d={Dilation}, bias={Bias is not null})";
}
