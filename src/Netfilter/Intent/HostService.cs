namespace Appliance.Netfilter.Intent;

/// <summary>
/// A service of the box itself (the admin UI, SSH, ...) and who may reach it. Names
/// <see cref="AdminUiName"/> and <see cref="SshName"/> mark the services whose loss would lock
/// the owner out: removing or narrowing them goes through a confirm window.
/// </summary>
public sealed record HostService
{
    public const string AdminUiName = "admin-ui";
    public const string SshName = "ssh";

    public required string Name { get; init; }

    public required int Port { get; init; }

    public TransportProtocol Protocol { get; init; } = TransportProtocol.Tcp;

    public required Exposure AllowedFrom { get; init; }

    /// <summary>True for the services that keep the owner in: the admin UI and SSH.</summary>
    public bool IsOwnerAccess => Name is AdminUiName or SshName;
}
