using RobustSeg.Engine;
using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace RobustSeg.Benchmarks;

public static class BenchCsv
{
    public const string Header = "case,device,shape,median_ms,min_ms,max_ms,gflops,gbps";

    /// <summary>Writes the rows as CSV with the fixed header; empty cells where a figure does not apply.</summary>
    public static void Write(TextWriter w, IEnumerable<BenchRow> rows, bool header = true)
    {
        using var csv = new CsvWriter(w, new CsvConfiguration(CultureInfo.InvariantCulture), leaveOpen: true);
        if (header)
        {
            foreach (var h in Header.Split(',')) csv.WriteField(h);
            csv.NextRecord();
        }
        foreach (var r in rows)
        {
            csv.WriteField(r.Case); csv.WriteField(r.Device); csv.WriteField(r.Shape);
            csv.WriteField(F(r.MedianMs)); csv.WriteField(F(r.MinMs)); csv.WriteField(F(r.MaxMs));
            csv.WriteField(r.Gflops is null ? "" : F(r.Gflops.Value)); csv.WriteField(r.Gbps is null ? "" : F(r.Gbps.Value));
            csv.NextRecord();
            csv.Flush();
        }
    }

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
