namespace RobustSeg.Adversarial.Evaluation.Protocols;

/// <summary>semseg's multi-scale test (TEST.scales): for each scale the long side is resized to
/// int(scale * base_size), predicted as in the single-scale test (with flip when on), resized to the label size;
/// the probabilities are averaged over the scales.</summary>
public sealed class MultiScaleProtocol(IReadOnlyList<double> scales) : IEvalProtocol
{
    readonly CleanProtocol[] _scales = scales.Select(s => new CleanProtocol(s)).ToArray();
    public string Name => $"multi-scale {string.Join(",", _scales.Select(s => s.Scale))}";

    public EvalPrediction Predict(EvalContext ctx, EvalSample sample, int index)
    {
        float[]? sum = null;
        foreach (var p in _scales)
        {
            var probs = p.Predict(ctx, sample, index).Probabilities;
            if (sum is null) sum = probs;
            else for (int i = 0; i < sum.Length; i++) sum[i] += probs[i];
        }
        for (int i = 0; i < sum!.Length; i++) sum[i] /= _scales.Length;
        return new EvalPrediction(sum);
    }
}
