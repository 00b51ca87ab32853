namespace RobustSeg.Adversarial.Attacks;

/// <summary>APGD's step-size and best-point bookkeeping for L-inf (Croce and Hein 2020), per image, on host,
/// as the reference code does it (auto-attack <c>autopgd_base.py</c>, and the same loop in
/// nmndeep/robust-segmentation <c>attacker.apgd_train</c>, which SEA runs):
/// <list type="bullet">
/// <item>step size starts at 2 eps;</item>
/// <item>checkpoints: a counter counts iterations; when it reaches k (first k = max(int(0.22 T), 1)) the
/// conditions are checked after that iteration, the counter resets and k = max(k - max(int(0.03 T), 1),
/// max(int(0.06 T), 1)) -- so for T = 100 the checks come after 0-based iterations 21, 40, 56, ...;</item>
/// <item>condition 1 (oscillation): the number of j in the last k iterations with loss[j] &gt; loss[j-1] is
/// <c>&lt;=</c> 0.75 k. The losses live in a zero-initialised (T, N) buffer read with the reference's
/// index arithmetic, so at the first checkpoint loss[-1] is the buffer's last row (still 0), not the
/// loss of the starting point;</item>
/// <item>condition 2 (no improvement): the step was not reduced at the previous checkpoint and the best loss
/// did not improve since it. "Reduced at the previous checkpoint" starts as true, so condition 2 never
/// fires at the first checkpoint;</item>
/// <item>where either holds the step is halved and the iterate restarts from the best point with the
/// gradient stored for it (the caller does the move; <see cref="Step"/> says which images).</item>
/// </list>
/// The best point is the iterate with the highest tracked loss, strictly higher replacing it.
/// The attack (<see cref="Apgd"/>) and the toy trace (<see cref="ApgdToy"/>) both run on this class.</summary>
public sealed class ApgdSchedule
{
    const double Rho = 0.75;
    readonly int _n, _iters, _decr, _min;
    readonly double[][] _lossSteps;
    readonly double[] _lossBestLastCheck;
    readonly bool[] _reducedLastCheck;
    int _k, _counter;

    /// <summary>Per image step size (eta).</summary>
    public double[] StepSize { get; }
    /// <summary>Per image best tracked loss so far.</summary>
    public double[] LossBest { get; }

    public ApgdSchedule(int iterations, double eps, double[] initialLoss)
    {
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), "APGD needs at least one iteration");
        _n = initialLoss.Length;
        _iters = iterations;
        _k = Math.Max((int)(0.22 * iterations), 1);
        _min = Math.Max((int)(0.06 * iterations), 1);
        _decr = Math.Max((int)(0.03 * iterations), 1);
        _lossSteps = new double[iterations][];
        for (int i = 0; i < iterations; i++) _lossSteps[i] = new double[_n];
        StepSize = new double[_n];
        Array.Fill(StepSize, 2.0 * eps);
        LossBest = (double[])initialLoss.Clone();
        _lossBestLastCheck = (double[])initialLoss.Clone();
        _reducedLastCheck = new bool[_n];
        Array.Fill(_reducedLastCheck, true);
    }

    /// <summary>The 0-based iterations after which the conditions are checked.</summary>
    public static List<int> Checkpoints(int iterations)
    {
        var r = new List<int>();
        int k = Math.Max((int)(0.22 * iterations), 1), min = Math.Max((int)(0.06 * iterations), 1), decr = Math.Max((int)(0.03 * iterations), 1);
        for (int at = k - 1; at < iterations; )
        {
            r.Add(at);
            k = Math.Max(k - decr, min);
            at += k;
        }
        return r;
    }

    /// <summary>What one iteration's bookkeeping decided: images whose best point is now this iterate, and,
    /// at a checkpoint, images whose step was halved and which restart from the best point (else null).</summary>
    public readonly record struct Decision(bool[] Improved, bool[]? Reduced);

    /// <summary>Books iteration <paramref name="i"/> (0-based) with its tracked loss per image.</summary>
    public Decision Step(int i, double[] loss)
    {
        if (loss.Length != _n) throw new ArgumentException($"APGD schedule: {loss.Length} losses for {_n} images");
        if (i < 0 || i >= _iters) throw new ArgumentOutOfRangeException(nameof(i));
        Array.Copy(loss, _lossSteps[i], _n);
        var improved = new bool[_n];
        for (int j = 0; j < _n; j++)
            if (loss[j] > LossBest[j]) { LossBest[j] = loss[j]; improved[j] = true; }
        if (++_counter != _k) return new Decision(improved, null);

        var reduced = new bool[_n];
        for (int j = 0; j < _n; j++)
        {
            int increases = 0;
            for (int c = 0; c < _k; c++)
                if (Row(i - c)[j] > Row(i - c - 1)[j]) increases++;
            bool oscillation = increases <= _k * Rho;
            bool noImprovement = !_reducedLastCheck[j] && _lossBestLastCheck[j] >= LossBest[j];
            reduced[j] = oscillation || noImprovement;
            _reducedLastCheck[j] = reduced[j];
            _lossBestLastCheck[j] = LossBest[j];
            if (reduced[j]) StepSize[j] /= 2.0;
        }
        _counter = 0;
        _k = Math.Max(_k - _decr, _min);
        return new Decision(improved, reduced);
    }

    // Python indexing of the (T, N) buffer: a negative row counts from the end.
    double[] Row(int r) => _lossSteps[r < 0 ? r + _iters : r];
}
