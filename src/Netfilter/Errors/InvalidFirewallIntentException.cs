namespace Appliance.Netfilter.Errors;

/// <summary>An intent that cannot be compiled; <see cref="Errors"/> lists every problem found.</summary>
public sealed class InvalidFirewallIntentException : FirewallException
{
    public InvalidFirewallIntentException(IReadOnlyList<string> errors)
        : base($"the firewall intent has {errors.Count} error(s):\n  " + string.Join("\n  ", errors)) => Errors = errors;

    public IReadOnlyList<string> Errors { get; }
}
