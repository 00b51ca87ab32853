using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RobustSeg.Config;

/// <summary>Converts a YAML node to the type of a config property, strictly: a wrong type is an error that
/// names the key and where it came from.</summary>
public static class ConfigValueParser
{
    /// <param name="nullableReference">whether a reference-typed key is declared nullable (`string?`).</param>
    public static object? Convert(YamlNode node, Type type, string where, bool nullableReference = false)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        bool nullable = underlying != null || (!type.IsValueType && nullableReference);
        var t = underlying ?? type;

        if (node is YamlScalarNode s && IsNull(s))
        {
            if (nullable) return null;
            throw new ConfigException($"{where}: a value is required ({Describe(t)})");
        }
        if (t.IsArray)
        {
            if (node is not YamlSequenceNode seq)
                throw new ConfigException($"{where}: expected a list of {Describe(t.GetElementType()!)}s like [1, 2], got {Show(node)}");
            var elem = t.GetElementType()!;
            var arr = Array.CreateInstance(elem, seq.Children.Count);
            for (int i = 0; i < seq.Children.Count; i++)
                arr.SetValue(Convert(seq.Children[i], elem, $"{where}[{i}]"), i);
            return arr;
        }
        if (node is not YamlScalarNode scalar)
            throw new ConfigException($"{where}: expected {Describe(t)}, got {Show(node)}");
        var text = scalar.Value ?? "";
        bool quoted = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted;

        if (t == typeof(string)) return text;
        if (quoted) throw new ConfigException($"{where}: expected {Describe(t)}, got the quoted string '{text}'");
        if (t == typeof(int))
        {
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return v;
            throw new ConfigException($"{where}: expected an integer, got '{text}'");
        }
        if (t == typeof(double))
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) return v;
            throw new ConfigException($"{where}: expected a number, got '{text}'");
        }
        if (t == typeof(bool))
        {
            switch (text.ToLowerInvariant())
            {
                case "true" or "yes" or "on": return true;
                case "false" or "no" or "off": return false;
            }
            throw new ConfigException($"{where}: expected true or false, got '{text}'");
        }
        if (t == typeof(Regime))
        {
            if (RegimeNames.TryParse(text, out var r)) return r;
            throw new ConfigException($"{where}: expected nodefense, sat or ddcat, got '{text}'");
        }
        throw new InvalidOperationException($"config type {t} is not supported");
    }

    /// <summary>Parses a `--set` value as a YAML scalar or flow sequence ("0.02", "[0, 1]", "").</summary>
    public static YamlNode ParseValueText(string text, string where)
    {
        if (text.Trim().Length == 0) return new YamlScalarNode("");
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count != 1) throw new ConfigException($"{where}: cannot read the value '{text}'");
            return stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{where}: cannot read the value '{text}': {e.Message}");
        }
    }

    static bool IsNull(YamlScalarNode s) =>
        s.Style is ScalarStyle.Plain or ScalarStyle.Any && (string.IsNullOrEmpty(s.Value) || s.Value is "~" or "null" or "Null" or "NULL");

    static string Describe(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(int)) return "an integer";
        if (t == typeof(double)) return "a number";
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(string)) return "a string";
        if (t == typeof(Regime)) return "nodefense, sat or ddcat";
        if (t.IsArray) return "a list";
        return t.Name;
    }

    static string Show(YamlNode n) => n switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => n.NodeType.ToString(),
    };
}
