namespace RobustSeg.Adversarial.Evaluation.Protocols;

/// <summary>semseg's single-scale test: resize the long side to base_size, sliding windows, optionally
/// averaged with the mirrored image, probabilities resized to the label size.</summary>
public sealed class CleanProtocol(double scale = 1.0) : IEvalProtocol
{
    public double Scale { get; } = scale;
    public string Name => Scale == 1.0 ? "clean" : $"clean@{Scale:0.###}";

    public EvalPrediction Predict(EvalContext ctx, EvalSample sample, int index)
    {
        var (image, _, h, w) = ctx.Resized(sample, (int)(Scale * ctx.Settings.BaseSize));
        return new EvalPrediction(ctx.ToSampleSize(ctx.Infer(image, ctx.Settings.Flip), h, w, sample));
    }
}
