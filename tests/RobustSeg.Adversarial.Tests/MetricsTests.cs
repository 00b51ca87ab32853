using RobustSeg.Adversarial.Metrics;

namespace RobustSeg.Adversarial.Tests;

public class MetricsTests
{
    [Test]
    public void HandComputedConfusionMatrix_WithAbsentClassCountedAsZero()
    {
        // 4 classes; class 3 appears in neither prediction nor label.
        int[] label = [0, 0, 0, 1, 1, 2, 2, 255, 255, 0];
        int[] pred  = [0, 0, 1, 1, 2, 2, 0, 3,   1,   0];
        // Valid pixels (label != 255): indices 0..6 and 9. Confusion (label -> pred):
        // 0->0 x3 (idx 0,1,9), 0->1 x1, 1->1 x1, 1->2 x1, 2->2 x1, 2->0 x1.
        // I = [3,1,1,0]; T = [4,2,2,0]; O = [4,2,2,0]; U = O + T - I = [5,3,3,0].
        var acc = new SegMetricAccumulator(4);
        acc.Add(pred, label);
        var s = acc.Compute();
        Assert.That(acc.Intersection, Is.EqualTo(new long[] { 3, 1, 1, 0 }));
        Assert.That(acc.Union, Is.EqualTo(new long[] { 5, 3, 3, 0 }));
        Assert.That(acc.Target, Is.EqualTo(new long[] { 4, 2, 2, 0 }));
        double[] iou = [3 / 5.0, 1 / 3.0, 1 / 3.0, 0];
        double[] cacc = [3 / 4.0, 1 / 2.0, 1 / 2.0, 0];
        for (int c = 0; c < 4; c++)
        {
            Assert.That(s.IoU[c], Is.EqualTo(iou[c]).Within(1e-9));
            Assert.That(s.Accuracy[c], Is.EqualTo(cacc[c]).Within(1e-9));
        }
        // semseg convention: the absent class counts as 0 in the means.
        Assert.That(s.MeanIoU, Is.EqualTo(iou.Sum() / 4).Within(1e-9));
        Assert.That(s.MeanAccuracy, Is.EqualTo(cacc.Sum() / 4).Within(1e-9));
        Assert.That(s.AllAccuracy, Is.EqualTo(5 / 8.0).Within(1e-9));
    }

    [Test]
    public void AccumulatesOverTheSetNotPerImageMeans()
    {
        // Image A: class 0 perfect on 1 pixel. Image B: class 0 wrong on 3 pixels (predicted 1).
        var acc = new SegMetricAccumulator(2);
        acc.Add([0], [0]);
        acc.Add([1, 1, 1], [0, 0, 0]);
        var s = acc.Compute();
        // Set-level: I0 = 1, U0 = 4, I1 = 0, U1 = 3 -> IoU = [0.25, 0]; a per-image average would differ.
        Assert.That(s.IoU[0], Is.EqualTo(0.25).Within(1e-9));
        Assert.That(s.IoU[1], Is.EqualTo(0).Within(1e-9));
        Assert.That(s.MeanIoU, Is.EqualTo(0.125).Within(1e-9));
        Assert.That(s.AllAccuracy, Is.EqualTo(0.25).Within(1e-9));
    }

    [Test]
    public void PerfectPredictionGivesOneForPresentClasses()
    {
        var acc = new SegMetricAccumulator(3);
        acc.Add([0, 1, 1, 0], [0, 1, 1, 0]);
        var s = acc.Compute();
        Assert.That(s.IoU[0], Is.EqualTo(1).Within(1e-9));
        Assert.That(s.IoU[2], Is.EqualTo(0));
        Assert.That(s.MeanIoU, Is.EqualTo(2 / 3.0).Within(1e-9));
    }

    [Test]
    public void OutOfRangeLabelIsAClearError()
    {
        var acc = new SegMetricAccumulator(3);
        var e = Assert.Throws<ArgumentException>(() => acc.Add([0, 1], [0, 7]));
        Assert.That(e!.Message, Does.Contain("label value 7"));
        Assert.Throws<ArgumentException>(() => acc.Add([0], [0, 1]));
    }
}
