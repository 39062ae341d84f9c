using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Appliance.TestSupport;

/// <summary>
/// Every object a test creates on the machine (netns, link, runc container, mount, process,
/// temp dir) carries a unique prefix <c>tb</c> + 6 hex digits, so teardown removes it by name
/// and the leak guard finds anything left. 8 characters leave room in IFNAMSIZ (15).
/// </summary>
public static partial class TestPrefix
{
    /// <summary>Set in the environment of every process a test starts, so the guard can find strays.</summary>
    public const string EnvironmentVariable = "APPLIANCE_TEST_PREFIX";

    /// <summary>
    /// A file test.sh names for one run: every prefix issued is appended to it, so the leak guard blames this run only for
    /// what this run made (not for what an interrupted earlier run, or one running beside it, left on the machine).
    /// </summary>
    public const string LedgerVariable = "APPLIANCE_TEST_LEDGER";

    private static readonly Lock LedgerLock = new();

    public static string New()
    {
        string prefix = "tb" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
        if (Environment.GetEnvironmentVariable(LedgerVariable) is { Length: > 0 } ledger)
        {
            lock (LedgerLock)
            {
                File.AppendAllText(ledger, prefix + "\n");
            }
        }
        return prefix;
    }

    /// <summary>The prefixes issued in this run, from the ledger; null when no ledger is kept (tests run one by one).</summary>
    public static IReadOnlyList<string>? IssuedThisRun() =>
        Environment.GetEnvironmentVariable(LedgerVariable) is { Length: > 0 } ledger
            ? File.Exists(ledger) ? [.. File.ReadAllLines(ledger).Where(l => l.Length > 0).Distinct()] : []
            : null;

    /// <summary>Matches any of <paramref name="prefixes"/> at the start of a name (nothing when the list is empty).</summary>
    public static Regex OneOf(IReadOnlyList<string> prefixes) =>
        prefixes.Count == 0 ? new Regex("(?!)") : new Regex("^(" + string.Join('|', prefixes.Select(Regex.Escape)) + ")");

    /// <summary>Matches any test prefix at the start of a name.</summary>
    [GeneratedRegex("^tb[0-9a-f]{6}")]
    public static partial Regex Any();

    public static Regex Exactly(string prefix) => new("^" + Regex.Escape(prefix));
}
