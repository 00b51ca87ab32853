using RobustSeg.Engine;
using System.Globalization;
using RobustSeg.Config;

namespace RobustSeg.Models;

/// <summary>What builds a model: the config keys arch (psp | aspp), layers (18, 34, 50, 101, 152), classes,
/// zoom_factor (1, 2, 4, 8), ddcat, width (channel multiplier; 1 = the original sizes), dropout, seed (init).</summary>
public sealed record ModelConfig(string Arch = "psp", int Layers = 50, int Classes = 21, int ZoomFactor = 8,
    bool Ddcat = false, double Width = 1.0, float Dropout = 0.1f, ulong Seed = 0)
{
    public ModelConfig Validate()
    {
        if (!ModelRules.Archs.Contains(Arch)) throw new UserInputException($"model arch '{Arch}': expected psp or aspp");
        if (!ModelRules.SupportedLayers.Contains(Layers)) throw new UserInputException($"model layers {Layers}: expected one of {string.Join(", ", ModelRules.SupportedLayers)}");
        if (Classes < ModelRules.MinClasses || Classes > ModelRules.MaxClasses)
            throw new UserInputException($"model classes {Classes}: expected {ModelRules.MinClasses}..{ModelRules.MaxClasses}");
        if (!ModelRules.ZoomFactors.Contains(ZoomFactor)) throw new UserInputException($"model zoom_factor {ZoomFactor}: expected 1, 2, 4 or 8");
        if (!(Width > 0 && Width <= ModelRules.MaxWidth)) throw new UserInputException($"model width {Width}: expected a multiplier in (0, {ModelRules.MaxWidth}]");
        if (!(Dropout >= 0 && Dropout < 1)) throw new UserInputException($"model dropout {Dropout}: expected [0, 1)");
        return this;
    }

    public bool Bottleneck => Layers >= 50;

    /// <summary>Channel count scaled by the width multiplier (the original count at width 1).</summary>
    public int Ch(int c) => Math.Max(1, (int)Math.Round(c * Width));

    public string Describe() =>
        $"{(Arch == "psp" ? "PSPNet" : "DeepLabV3")}{(Ddcat ? "-DDCAT" : "")}-ResNet{Layers}{(Width != 1 ? $"x{Width.ToString(CultureInfo.InvariantCulture)}" : "")}, {Classes} classes";

    /// <summary>The keys stored in checkpoint metadata (model.*), so a checkpoint rebuilds its own model.</summary>
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["model.arch"] = Arch,
        ["model.layers"] = Layers.ToString(CultureInfo.InvariantCulture),
        ["model.classes"] = Classes.ToString(CultureInfo.InvariantCulture),
        ["model.zoom_factor"] = ZoomFactor.ToString(CultureInfo.InvariantCulture),
        ["model.ddcat"] = Ddcat ? "true" : "false",
        ["model.width"] = Width.ToString("R", CultureInfo.InvariantCulture),
        ["model.dropout"] = Dropout.ToString("R", CultureInfo.InvariantCulture),
    };

    public static ModelConfig FromMetadata(IReadOnlyDictionary<string, string> md, string source = "checkpoint")
    {
        string Get(string k) => md.TryGetValue(k, out var v) ? v : throw new InvalidDataException($"{source}: metadata key '{k}' missing (not a RobustSeg checkpoint?)");
        T Parse<T>(string k, Func<string, (bool, T)> p)
        {
            var (ok, v) = p(Get(k));
            return ok ? v : throw new InvalidDataException($"{source}: metadata '{k}' = '{Get(k)}' is not valid");
        }
        var inv = CultureInfo.InvariantCulture;
        return new ModelConfig(
            Get("model.arch"),
            Parse("model.layers", s => (int.TryParse(s, inv, out var v), v)),
            Parse("model.classes", s => (int.TryParse(s, inv, out var v), v)),
            Parse("model.zoom_factor", s => (int.TryParse(s, inv, out var v), v)),
            Parse("model.ddcat", s => (bool.TryParse(s, out var v), v)),
            Parse("model.width", s => (double.TryParse(s, NumberStyles.Float, inv, out var v), v)),
            md.ContainsKey("model.dropout") ? Parse("model.dropout", s => (float.TryParse(s, NumberStyles.Float, inv, out var v), v)) : 0.1f).Validate();
    }
}
