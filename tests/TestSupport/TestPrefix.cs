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

    public static string New() => "tb" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();

    /// <summary>Matches any test prefix at the start of a name.</summary>
    [GeneratedRegex("^tb[0-9a-f]{6}")]
    public static partial Regex Any();

    public static Regex Exactly(string prefix) => new("^" + Regex.Escape(prefix));
}
