using NUnit.Framework;

namespace RobustSeg.Plots.Tests;

public class FigureTests
{
    string _dir = "";

    [SetUp] public void SetUp() => _dir = Directory.CreateTempSubdirectory("plots-").FullName;
    [TearDown]
    public void TearDown()
    {
        if (Environment.GetEnvironmentVariable("ROBUSTSEG_KEEP_TEST_OUTPUT") is null) try { Directory.Delete(_dir, true); } catch (IOException) { }
        else TestContext.Out.WriteLine($"kept {_dir}");
    }

    [Test]
    public void EmbeddedFontIsDejaVuSans()
    {
        Assert.That(PlotFonts.Typeface().FamilyName, Is.EqualTo("DejaVu Sans"));
        Assert.That(PlotFonts.Typeface(bold: true).FamilyName, Is.EqualTo("DejaVu Sans"));
        PlotFonts.Ensure();
        Assert.That(ScottPlot.Fonts.Default, Is.EqualTo(PlotFonts.Family));
        Assert.That(ScottPlot.Fonts.GetTypeface(PlotFonts.Family, false, false).FamilyName, Is.EqualTo("DejaVu Sans"));
    }

    [Test]
    public void RobustnessPlotHasItsSizeLinesAndTitleText()
    {
        var p = Path.Combine(_dir, "robustness.png");
        RobustnessPlot.Write(p, [
            new("a · pgd", [0, 2, 4, 8], [0.8, 0.6, 0.4, 0.1]),
            new("a · segpgd", [0, 2, 4, 8], [0.8, 0.5, 0.3, 0.05]),
        ]);
        PngCheck.AssertFigure(p, 800, 560);
        // The title sits in the top band, centred: text must have drawn dark pixels there.
        Assert.That(PngCheck.DarkFraction(p, 200, 0, 600, 40), Is.GreaterThan(0.01), "no title text");
    }

    [Test]
    public void TrainingCurvesWithAndWithoutBranchPanel()
    {
        double[] it = [1, 2, 3, 4, 5, 6];
        var c = new TrainingCurves(
            [new("main", it, [2, 1.5, 1.2, 1, 0.9, 0.8]), new("aux", it, [2.2, 1.8, 1.4, 1.2, 1, 0.9])],
            [new("train pixel acc", it, [0.2, 0.4, 0.5, 0.6, 0.65, 0.7]), new("val mIoU", [3, 6], [0.3, 0.5])],
            [new("lr", it, [0.01, 0.008, 0.006, 0.004, 0.002, 0])]);
        var a = Path.Combine(_dir, "a.png");
        TrainingCurvesPlot.Write(a, c);
        PngCheck.AssertFigure(a, 1500, 430);
        var b = Path.Combine(_dir, "b.png");
        TrainingCurvesPlot.Write(b, c with { Branch = [new("mask targets = 1", it, [0.1, 0.1, 0.2, 0.1, 0.1, 0.1])] });
        PngCheck.AssertFigure(b, 1200, 860);
    }

    [Test]
    public void AttackStepsAndOverview()
    {
        var s = Path.Combine(_dir, "steps.png");
        AttackStepsPlot.Write(s, [
            new("pgd r0", [1, 2, 3], [0.5, 0.9, 1.2], [0.1, 0.3, 0.4], [8, 8, 8], [1, 2, 2.5]),
            new("pgd r1", [1, 2, 3], [0.6, 1.0, 1.1], [0.2, 0.3, 0.5], [8, 8, 8], [1.1, 2.1, 2.4]),
        ]);
        PngCheck.AssertFigure(s, 1200, 860);

        var rgb = new byte[20 * 10 * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7);
        var pic = new RgbPicture(rgb, 20, 10);
        var o = Path.Combine(_dir, "overview.png");
        OverviewFigure.Write(o, Enumerable.Range(0, 6).Select(i => new TitledPicture($"panel {i}", pic)).ToList(), columns: 3, panelWidth: 200);
        var info = PngCheck.AssertFigure(o, 600, 2 * (100 + 40));
        Assert.That(info.Colours, Is.GreaterThan(50), "the pictures' own colours should appear");
    }
}
