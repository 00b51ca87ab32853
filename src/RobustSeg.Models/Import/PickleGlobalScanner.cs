using System.Buffers.Binary;
using System.Text;

namespace RobustSeg.Models.Import;

/// <summary>Raised when a pickle names a global outside the allow-list: unpickling it could run code.</summary>
public sealed class UnsafePickleException(string source, string global)
    : IOException($"{source}: the pickle references '{global}', which is not allowed in a checkpoint " +
        "(only collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter and torch.*Storage types are); refusing to load it"),
      RobustSeg.Engine.IUserInputError
{
    public string Global { get; } = global;
}

/// <summary>Walks a pickle's opcodes without executing anything and checks every global it would import
/// (GLOBAL, INST, STACK_GLOBAL; extension-registry opcodes are refused) against an allow-list. Run before
/// the real unpickler so a malicious file is rejected before any object is built.</summary>
public static class PickleGlobalScanner
{
    /// <summary>Checks one pickle starting at p[0]; returns the number of bytes it spans (through STOP).</summary>
    public static int Check(ReadOnlySpan<byte> p, Func<string, bool> allowed, string source)
    {
        int i = 0;
        string? last = null, prev = null;                 // the two most recent pushes when they are strings
        var memo = new Dictionary<long, string?>();
        void Push(string? s) { prev = last; last = s; }
        string Line(ReadOnlySpan<byte> d, ref int pos)
        {
            int nl = d[pos..].IndexOf((byte)'\n');
            if (nl < 0) throw new InvalidDataException($"{source}: truncated pickle (line argument at byte {pos})");
            var s = Encoding.UTF8.GetString(d.Slice(pos, nl));
            pos += nl + 1;
            return s;
        }
        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> d, ref int pos, long n)
        {
            if (n < 0 || pos + n > d.Length) throw new InvalidDataException($"{source}: truncated pickle (needs {n} bytes at {pos})");
            var s = d.Slice(pos, (int)n);
            pos += (int)n;
            return s;
        }
        void Require(string name)
        {
            if (!allowed(name)) throw new UnsafePickleException(source, name);
        }

        while (i < p.Length)
        {
            byte op = p[i++];
            switch ((char)op)
            {
                case '.': return i;                                          // STOP
                case 'c':                                                    // GLOBAL module\nname\n
                {
                    var m = Line(p, ref i); var n = Line(p, ref i);
                    Require(m + "." + n); Push(null); break;
                }
                case 'i':                                                    // INST module\nname\n
                {
                    var m = Line(p, ref i); var n = Line(p, ref i);
                    Require(m + "." + n); Push(null); break;
                }
                case '\x93':                                                 // STACK_GLOBAL
                    if (last is null || prev is null) throw new UnsafePickleException(source, "<STACK_GLOBAL with a computed name>");
                    Require(prev + "." + last); Push(null); break;
                case '\x82': case '\x83': case '\x84':                       // EXT1/2/4: copyreg extension registry
                    throw new UnsafePickleException(source, "<extension registry code>");
                case 'I': case 'L': case 'F': case 'P': Line(p, ref i); Push(null); break;
                case 'S': case 'V': Push(Unquote(Line(p, ref i))); break;
                case 'g': { var k = Line(p, ref i); Push(memo.GetValueOrDefault(long.Parse(k))); break; }
                case 'p': { var k = Line(p, ref i); memo[long.Parse(k)] = last; break; }
                case 'J': Take(p, ref i, 4); Push(null); break;
                case 'K': Take(p, ref i, 1); Push(null); break;
                case 'M': Take(p, ref i, 2); Push(null); break;
                case 'G': Take(p, ref i, 8); Push(null); break;
                case '\x80': Take(p, ref i, 1); break;                        // PROTO
                case '\x95': Take(p, ref i, 8); break;                        // FRAME
                case 'h': Push(memo.GetValueOrDefault(Take(p, ref i, 1)[0])); break;
                case 'j': Push(memo.GetValueOrDefault(BinaryPrimitives.ReadUInt32LittleEndian(Take(p, ref i, 4)))); break;
                case 'q': memo[Take(p, ref i, 1)[0]] = last; break;
                case 'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(p, ref i, 4))] = last; break;
                case '\x94': memo[memo.Count] = last; break;                  // MEMOIZE
                case 'X': Push(Encoding.UTF8.GetString(Take(p, ref i, BinaryPrimitives.ReadUInt32LittleEndian(Take(p, ref i, 4))))); break;
                case '\x8c': Push(Encoding.UTF8.GetString(Take(p, ref i, Take(p, ref i, 1)[0]))); break;
                case '\x8d': Push(Encoding.UTF8.GetString(Take(p, ref i, (long)BinaryPrimitives.ReadUInt64LittleEndian(Take(p, ref i, 8))))); break;
                case 'T': Push(Encoding.Latin1.GetString(Take(p, ref i, BinaryPrimitives.ReadUInt32LittleEndian(Take(p, ref i, 4))))); break;
                case 'U': Push(Encoding.Latin1.GetString(Take(p, ref i, Take(p, ref i, 1)[0]))); break;
                case 'B': Take(p, ref i, BinaryPrimitives.ReadUInt32LittleEndian(Take(p, ref i, 4))); Push(null); break;
                case 'C': Take(p, ref i, Take(p, ref i, 1)[0]); Push(null); break;
                case '\x8e': case '\x96': Take(p, ref i, (long)BinaryPrimitives.ReadUInt64LittleEndian(Take(p, ref i, 8))); Push(null); break;
                case '\x8a': Take(p, ref i, Take(p, ref i, 1)[0]); Push(null); break;          // LONG1
                case '\x8b': Take(p, ref i, BinaryPrimitives.ReadInt32LittleEndian(Take(p, ref i, 4))); Push(null); break; // LONG4
                case '(': case '0': case '1': case '2': case 'N': case 'R': case 'a': case 'b': case 'd': case '}':
                case 'e': case 'l': case ']': case 'o': case 's': case 't': case ')': case 'u': case 'Q':
                case '\x81': case '\x85': case '\x86': case '\x87': case '\x88': case '\x89': case '\x8f':
                case '\x90': case '\x91': case '\x92': case '\x97': case '\x98':
                    Push(null); break;
                default:
                    throw new InvalidDataException($"{source}: unknown pickle opcode 0x{op:x2} at byte {i - 1}");
            }
        }
        throw new InvalidDataException($"{source}: pickle has no STOP opcode (truncated?)");
    }

    static string Unquote(string s) =>
        s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0] ? s[1..^1] : s;
}
