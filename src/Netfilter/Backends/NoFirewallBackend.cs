using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Backends;

/// <summary>The "none" backend: the owner manages the firewall; Appliance writes nothing.</summary>
public sealed class NoFirewallBackend : IFirewallBackend
{
    public string Name => FirewallBackends.None;

    public Task<FirewallApplyResult> ApplyAsync(FirewallIntent intent, CancellationToken cancellationToken = default)
    {
        FirewallIntentValidator.ThrowIfInvalid(intent);
        return Task.FromResult(new FirewallApplyResult { Incremental = true, Commands = 0 });
    }

    public Task ConfirmAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task RemoveAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
