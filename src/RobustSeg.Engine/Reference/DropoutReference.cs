namespace RobustSeg.Engine.Reference;

/// <summary>Double-precision Dropout2d reference with the engine's channel draw.</summary>
public static class DropoutReference
{
    /// <summary>Dropout2d with the engine's channel draw: channel k = n*C + c kept when HashUniform(seed, k) >= p.</summary>
    public static double[] Dropout2d(double[] x, int n, int c, int s, double p, ulong seed)
    {
        var y = new double[x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            int k = j / s;
            bool drop = RobustSeg.Kernels.ElementwiseMath.HashUniform(seed, k) < (float)p;
            y[j] = drop ? 0 : x[j] / (1 - p);
        }
        return y;
    }
}
