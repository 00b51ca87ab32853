using RobustSeg.Engine;

namespace RobustSeg.Nn;

/// <summary>Parameters that share hyper-parameters. BaseLr is what a schedule scales; Lr is the
/// current value used by the next step. Names key the optimizer state in checkpoints.</summary>
public sealed class ParamGroup
{
    public string Name { get; }
    public IReadOnlyList<(string Name, Tensor Tensor)> Parameters { get; }
    public double BaseLr { get; set; }
    public double Lr { get; set; }
    public double Momentum { get; set; }
    public double WeightDecay { get; set; }

    public ParamGroup(string name, IEnumerable<(string Name, Tensor Tensor)> parameters, double lr, double momentum = 0.9, double weightDecay = 1e-4)
    {
        Name = name;
        Parameters = parameters.ToList();
        BaseLr = Lr = lr;
        Momentum = momentum;
        WeightDecay = weightDecay;
    }
}
