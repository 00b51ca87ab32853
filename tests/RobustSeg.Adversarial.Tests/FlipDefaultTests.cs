using NUnit.Framework;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Config;

namespace RobustSeg.Adversarial.Tests;

/// <summary>Flip averaging follows the original's `flip = not attack` (tool_test/*/test_*.py).</summary>
public class FlipDefaultTests
{
    [Test]
    public void CleanEvaluationFlipsByDefaultAttackedDoesNot()
    {
        Assert.That(EvalSettings.FlipFor(attacked: false), Is.True);
        Assert.That(EvalSettings.FlipFor(attacked: true), Is.False);
    }

    [Test]
    public void NoFlipTurnsItOffAndFlipForcesItUnderAttack()
    {
        Assert.That(EvalSettings.FlipFor(attacked: false, noFlip: true), Is.False);
        Assert.That(EvalSettings.FlipFor(attacked: true, flip: true), Is.True);
        Assert.That(EvalSettings.FlipFor(attacked: false, flip: true), Is.True);
        Assert.Throws<ConfigException>(() => EvalSettings.FlipFor(false, flip: true, noFlip: true));
    }

    /// <summary>What `test` refuses, single run or sweep: a transfer source without an attack, and --flip under the
    /// legacy protocol (the paper evaluates without flipping).</summary>
    [Test]
    public void TestOptionsRefusedForSingleRunsAndSweepsAlike()
    {
        Assert.That(() => EvalSettings.CheckTestOptions(false, false, AttackProtocol.Strong, "src.safetensors"),
            Throws.TypeOf<ConfigException>().With.Message.Contains("--source-checkpoint needs an --attack"));
        Assert.That(() => EvalSettings.CheckTestOptions(true, true, AttackProtocol.Legacy, null),
            Throws.TypeOf<ConfigException>().With.Message.Contains("legacy protocol"));
        Assert.That(() => EvalSettings.CheckTestOptions(true, true, AttackProtocol.Strong, "src.safetensors"), Throws.Nothing);
        Assert.That(() => EvalSettings.CheckTestOptions(false, true, AttackProtocol.Legacy, null), Throws.Nothing);
    }
}
