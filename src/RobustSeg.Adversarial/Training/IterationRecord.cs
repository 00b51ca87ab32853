namespace RobustSeg.Adversarial.Training;

/// <summary>One training iteration as logged (a row of the CSV log). Iteration is 1-based over the run;
/// Epoch is 1-based; Lr / HeadLr are the rates the step ran at (backbone group, heads group at 10x);
/// PixelAccuracy is over the non-ignored pixels of the training batch's output.
/// DDC-AT branch diagnostics (0 for the other regimes): RoutedFraction is the share of the batch's pixels the
/// mask head sends to cls2, RoutedClean / RoutedAdv the same share within the clean and the adversarial half,
/// MaskTargetOnes the share of mask targets equal to 1 in the clean half (pixels whose routed prediction the
/// attack flips; every target of the adversarial half is 0), MaskLoss the mask head's CE against those targets.</summary>
public sealed record IterationRecord(long Iteration, int Epoch, int IterInEpoch, double Lr, double MainLoss, double AuxLoss,
    double MaskLoss, double TotalLoss, double RoutedFraction, double PixelAccuracy, double Seconds,
    double HeadLr = 0, double MaskTargetOnes = 0, double RoutedClean = 0, double RoutedAdv = 0)
{
    // New columns go at the end, so readers that index columns keep working.
    public const string CsvHeader = "iteration,epoch,lr,main_loss,aux_loss,mask_loss,routed_fraction,pixel_accuracy,seconds,"
        + "lr_heads,mask_target_ones,routed_clean,routed_adv";

    public string ToCsv() => string.Join(',',
        Iteration.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        F(Lr), F(MainLoss), F(AuxLoss), F(MaskLoss), F(RoutedFraction), F(PixelAccuracy), Seconds.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture),
        F(HeadLr), F(MaskTargetOnes), F(RoutedClean), F(RoutedAdv));

    static string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
