namespace RobustSeg.Adversarial.Training;

/// <summary>One training iteration as logged (a row of the CSV log). Iteration is 1-based over the run;
/// Epoch is 1-based; RoutedFraction is the share of pixels the mask head sends to cls2 (0 without DDC-AT);
/// PixelAccuracy is over the non-ignored pixels of the training batch's output.</summary>
public sealed record IterationRecord(long Iteration, int Epoch, int IterInEpoch, double Lr, double MainLoss, double AuxLoss,
    double MaskLoss, double TotalLoss, double RoutedFraction, double PixelAccuracy, double Seconds)
{
    public const string CsvHeader = "iteration,epoch,lr,main_loss,aux_loss,mask_loss,routed_fraction,pixel_accuracy,seconds";

    public string ToCsv() => string.Join(',',
        Iteration.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        F(Lr), F(MainLoss), F(AuxLoss), F(MaskLoss), F(RoutedFraction), F(PixelAccuracy), Seconds.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture));

    static string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
