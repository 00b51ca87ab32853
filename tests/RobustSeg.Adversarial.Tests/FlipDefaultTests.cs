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
}
