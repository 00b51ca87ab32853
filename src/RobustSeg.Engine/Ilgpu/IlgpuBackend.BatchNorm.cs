using RobustSeg.Kernels;

namespace RobustSeg.Engine.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <summary>Parts per plane for the statistics: 1 on the CPU accelerator (a plane per index), a
    /// strided split on a GPU so a channel's work spreads over enough threads.</summary>
    int StatParts(int s) => Device.IsCpuAccelerator ? 1 : Math.Max(1, Math.Min(s, 64));

    public override void BatchNormStats(Tensor x, int n, int c, int s, Tensor? weight, Tensor? bias,
        Tensor runningMean, Tensor runningVar, bool training, float momentum, float eps,
        Tensor mean, Tensor invstd, Tensor scale, Tensor shift)
    {
        int q = StatParts(s);
        Tensor? pMean = null, pM2 = null;
        try
        {
            if (training)
            {
                int total = c * n * q;
                pMean = Tensor.Empty(Device, total);
                pM2 = Tensor.Empty(Device, total);
                var (g, ch) = K.Split(total);
                K.Launch(BatchNormKernels.Partial, g, new BnPartialArgs
                {
                    X = x.View, PMean = pMean.View, PM2 = pM2.View, N = n, C = c, S = s, Q = q, Total = total, Chunk = ch,
                });
            }
            var (g2, ch2) = K.Split(c);
            K.Launch(BatchNormKernels.Finish, g2, new BnFinishArgs
            {
                PMean = (pMean ?? mean).View, PM2 = (pM2 ?? mean).View,
                Weight = (weight ?? mean).View, Bias = (bias ?? mean).View,
                RunMean = runningMean.View, RunVar = runningVar.View,
                Mean = mean.View, Invstd = invstd.View, Scale = scale.View, Shift = shift.View,
                N = n, S = s, Q = q, C = c, HasWeight = weight is null ? 0 : 1, HasBias = bias is null ? 0 : 1,
                Training = training ? 1 : 0, Chunk = ch2, Momentum = momentum, Eps = eps,
            });
        }
        finally
        {
            pMean?.Dispose();
            pM2?.Dispose();
        }
    }

    public override void BatchNormApply(Tensor x, Tensor scale, Tensor shift, Tensor y, int c, int s, Tensor? residual = null, bool relu = false)
    {
        int total = (int)x.Numel;
        var (g, ch) = K.Split(total, 256);
        K.Launch(BatchNormKernels.Apply, g, new BnApplyArgs
        {
            X = x.View, Scale = scale.View, Shift = shift.View, Y = y.View, R = (residual ?? x).View, C = c, S = s, N = total, Chunk = ch,
            HasResidual = residual is null ? 0 : 1, Relu = relu ? 1 : 0,
        });
    }

    public override void BatchNormBackward(Tensor x, Tensor dy, Tensor mean, Tensor invstd, Tensor? weight, bool training,
        int n, int c, int s, Tensor? dx, Tensor? dweight, Tensor? dbias, Tensor? reluOut = null, Tensor? maskedDy = null)
    {
        if (maskedDy is not null && dx is null) throw new ArgumentException("BatchNormBackward: maskedDy requires dx");
        bool partials = dweight is not null || dbias is not null || (dx is not null && training);
        int q = StatParts(s);
        int parts = n * q;
        using var scope = Tensor.Scope();
        var pDy = partials ? Tensor.Empty(Device, c * parts) : mean;
        var pDyXmu = partials ? Tensor.Empty(Device, c * parts) : mean;
        if (partials)
        {
            int total = c * parts;
            var (g, ch) = K.Split(total);
            K.Launch(BatchNormKernels.BackPartial, g, new BnBackPartialArgs
            {
                X = x.View, DY = dy.View, Y = (reluOut ?? dy).View, Mean = mean.View, PSumDy = pDy.View, PSumDyXmu = pDyXmu.View,
                N = n, C = c, S = s, Q = q, Total = total, Chunk = ch, Mask = reluOut is null ? 0 : 1,
            });
        }
        var coefA = Tensor.Empty(Device, c);
        var coefK = Tensor.Empty(Device, c);
        var coefD = Tensor.Empty(Device, c);
        var (g2, ch2) = K.Split(c);
        K.Launch(BatchNormKernels.BackFinish, g2, new BnBackFinishArgs
        {
            PSumDy = pDy.View, PSumDyXmu = pDyXmu.View, Invstd = invstd.View, Weight = (weight ?? mean).View,
            DWeight = (dweight ?? coefA).View, DBias = (dbias ?? coefA).View, CoefA = coefA.View, CoefK = coefK.View, CoefD = coefD.View,
            Parts = parts, C = c, HasWeight = weight is null ? 0 : 1, WantDWeight = dweight is null ? 0 : 1,
            WantDBias = dbias is null ? 0 : 1, UsePartials = partials ? 1 : 0, Training = training ? 1 : 0, Chunk = ch2,
            Count = (float)n * s,
        });
        if (dx is null) return;
        int totalX = (int)x.Numel;
        var (g3, ch3) = K.Split(totalX, 256);
        K.Launch(BatchNormKernels.BackInput, g3, new BnBackInputArgs
        {
            X = x.View, DY = dy.View, Y = (reluOut ?? dy).View, GM = (maskedDy ?? dx).View, Mean = mean.View,
            CoefA = coefA.View, CoefK = coefK.View, CoefD = coefD.View, DX = dx.View, C = c, S = s, N = totalX, Chunk = ch3,
            Mask = reluOut is null ? 0 : 1, WantGm = maskedDy is null ? 0 : 1, Training = training ? 1 : 0,
        });
    }
}
