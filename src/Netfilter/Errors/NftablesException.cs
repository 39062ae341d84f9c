namespace Appliance.Netfilter.Errors;

/// <summary>libnftables refused a command; <see cref="NftError"/> is its error text.</summary>
public sealed class NftablesException : FirewallException
{
    public NftablesException(string operation, string target, string nftError)
        : base($"nftables {operation} in '{target}' failed: {nftError.Trim()}") =>
        (Operation, Target, NftError) = (operation, target, nftError.Trim());

    /// <summary>What was attempted, e.g. "apply table inet appliance".</summary>
    public string Operation { get; }

    /// <summary>The network namespace it was attempted in.</summary>
    public string Target { get; }

    public string NftError { get; }
}
