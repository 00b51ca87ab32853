using RobustSeg.Engine;
using RobustSeg.Nn;

namespace RobustSeg.Models;

/// <summary>The dilated deep-stem ResNet of semseg (output stride 8), built as the stages layer0..layer4
/// that the segmentation models register under those names.</summary>
public static class ResNetBuilder
{
    public static int[] Depths(int layers) => layers switch
    {
        18 => [2, 2, 2, 2],
        34 => [3, 4, 6, 3],
        50 => [3, 4, 6, 3],
        101 => [3, 4, 23, 3],
        152 => [3, 8, 36, 3],
        _ => throw new ArgumentException($"ResNet depth {layers}: expected 18, 34, 50, 101 or 152"),
    };

    /// <summary>layer0 = conv3x3(3,64,s2) BN ReLU conv3x3(64,64) BN ReLU conv3x3(64,128) BN ReLU maxpool(3,2,1)
    /// (indices 0..9, as semseg's nn.Sequential), widths scaled.</summary>
    public static Sequential Stem(Device device, ModelConfig cfg, SeededRandom rng) => new(
        new Conv2d(device, 3, cfg.Ch(64), 3, 2, 1, bias: false, rng: rng.Fork()),
        new BatchNorm2d(device, cfg.Ch(64)), new ReLU(),
        new Conv2d(device, cfg.Ch(64), cfg.Ch(64), 3, 1, 1, bias: false, rng: rng.Fork()),
        new BatchNorm2d(device, cfg.Ch(64)), new ReLU(),
        new Conv2d(device, cfg.Ch(64), cfg.Ch(128), 3, 1, 1, bias: false, rng: rng.Fork()),
        new BatchNorm2d(device, cfg.Ch(128)), new ReLU(),
        new MaxPool2d(3, 2, 1));

    /// <summary>Stage i (1..4): planes 64*2^(i-1); stride 2 in stage 2; stages 3 and 4 keep the resolution
    /// with dilation 2 and 4 (stride 1 in conv2/conv1 and downsample.0).</summary>
    public static Sequential Stage(Device device, ModelConfig cfg, int stage, ref int inplanes, SeededRandom rng)
    {
        int planes = cfg.Ch(64 << (stage - 1));
        int blocks = Depths(cfg.Layers)[stage - 1];
        int dilation = stage switch { 3 => 2, 4 => 4, _ => 1 };
        int stride = stage == 2 ? 2 : 1;
        int outC = cfg.Bottleneck ? planes * Bottleneck.Expansion : planes;
        var seq = new Sequential();
        for (int b = 0; b < blocks; b++)
        {
            // The first block of every stage has a downsample in the original (stem gives 128 channels, stage
            // 2 strides, stages 3-4 strided before dilation turned their stride to 1): keys must exist.
            bool down = b == 0;
            var rb = rng.Fork();
            ResidualBlock block = cfg.Bottleneck
                ? new Bottleneck(device, inplanes, planes, b == 0 ? stride : 1, dilation, down, rb)
                : new BasicBlock(device, inplanes, planes, b == 0 ? stride : 1, dilation, down, rb);
            seq.Add(block);
            inplanes = outC;
        }
        return seq;
    }
}
