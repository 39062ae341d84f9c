using System.Globalization;

namespace Appliance.Orchestrator.Health;

/// <summary>A service's restart policy: <c>"no"</c>, <c>always</c>, <c>on-failure[:N]</c> or <c>unless-stopped</c>.</summary>
/// <param name="MaxRetries">For on-failure:N, the most restarts in a row; null means no limit.</param>
public sealed record RestartPolicy(RestartPolicyKind Kind, int? MaxRetries = null)
{
    public static RestartPolicy No { get; } = new(RestartPolicyKind.No);

    public static bool TryParse(string? text, out RestartPolicy policy, out string? error)
    {
        error = null;
        policy = No;
        switch (text)
        {
            case null or "" or "no":
                return true;
            case "always":
                policy = new RestartPolicy(RestartPolicyKind.Always);
                return true;
            case "unless-stopped":
                policy = new RestartPolicy(RestartPolicyKind.UnlessStopped);
                return true;
            case "on-failure":
                policy = new RestartPolicy(RestartPolicyKind.OnFailure);
                return true;
        }
        if (text.StartsWith("on-failure:", StringComparison.Ordinal))
        {
            if (int.TryParse(text.AsSpan("on-failure:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
            {
                policy = new RestartPolicy(RestartPolicyKind.OnFailure, n);
                return true;
            }
            error = $"restart '{text}': the retry count after 'on-failure:' must be a positive whole number, e.g. on-failure:5";
            return false;
        }
        error = $"restart '{text}' is not a restart policy; expected \"no\", always, on-failure[:N] or unless-stopped";
        return false;
    }

    public static RestartPolicy Parse(string? text) =>
        TryParse(text, out RestartPolicy policy, out string? error) ? policy : throw new FormatException(error);

    public override string ToString() => Kind switch
    {
        RestartPolicyKind.No => "no",
        RestartPolicyKind.Always => "always",
        RestartPolicyKind.UnlessStopped => "unless-stopped",
        RestartPolicyKind.OnFailure => MaxRetries is int n ? $"on-failure:{n}" : "on-failure",
        _ => throw new InvalidOperationException(),
    };
}
