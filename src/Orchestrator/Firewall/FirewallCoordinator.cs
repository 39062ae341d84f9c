using System.Collections.Immutable;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Intent;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Stacks.Resolved;
using StackNetwork = Appliance.Netfilter.Intent.StackNetwork;

namespace Appliance.Orchestrator.Firewall;

/// <summary>
/// The one place the box's firewall intent is assembled and applied: the owner's settings (LAN
/// subnets, host services such as the admin UI and SSH) plus one <see cref="StackNetwork"/> per
/// deployed stack. Every change applies the whole intent through the backend, which turns it
/// into one atomic transaction (element changes where the table's shape is unchanged). Changes
/// are serialised; <see cref="Intent"/> is an immutable snapshot for the UI and explain.
/// </summary>
public sealed partial class FirewallCoordinator : IStackFirewall, IAsyncDisposable
{
    private readonly IFirewallBackend _backend;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private FirewallIntent _settings;
    private ImmutableSortedDictionary<string, StackNetwork> _stacks = ImmutableSortedDictionary<string, StackNetwork>.Empty;

    private readonly string? _stacksFile;

    /// <param name="stacksFile">Where the stacks' part of the intent is kept across restarts (see <see cref="RestoreAsync"/>); null keeps it in memory only.
    /// The owner's exposure choices are kept next to it (exposure.json).</param>
    /// <param name="confirmWindow">How long an exposure change waits for its confirm (default 60 s).</param>
    public FirewallCoordinator(IFirewallBackend backend, FirewallIntent settings, string? stacksFile = null, TimeSpan? confirmWindow = null)
    {
        _backend = backend;
        _settings = settings with { Stacks = [] };
        _stacksFile = stacksFile;
        _exposureFile = stacksFile is null ? null : Path.Combine(Path.GetDirectoryName(stacksFile)!, "exposure.json");
        ConfirmWindow = confirmWindow ?? TimeSpan.FromSeconds(60);
    }

    /// <summary>The backend itself (to read the live ruleset: explain, published ports, foreign tables).</summary>
    public IFirewallBackend Backend => _backend;

    public string BackendName => _backend.Name;

    /// <summary>The intent as last applied (or about to be).</summary>
    public FirewallIntent Intent => _settings with { Stacks = _stacks.Values.ToList() };

    /// <summary>The last apply's result (pending confirm window, warnings), if any.</summary>
    public FirewallApplyResult? LastResult { get; private set; }

    /// <summary>Adds or replaces a stack's network and applies.</summary>
    public Task<FirewallApplyResult> SetStackAsync(StackNetwork stack, CancellationToken cancellationToken = default) =>
        ChangeAsync(() => _stacks = _stacks.SetItem(stack.Name, stack), cancellationToken);

    /// <summary>Removes a stack's network (no-op when unknown) and applies.</summary>
    public Task<FirewallApplyResult> RemoveStackAsync(string stackName, CancellationToken cancellationToken = default) =>
        ChangeAsync(() => _stacks = _stacks.Remove(stackName), cancellationToken);

    /// <summary>Opens a stack's network with the stack file's exposures, and the owner's exposure choices on top.</summary>
    public Task OpenAsync(ResolvedStack stack, StackSubnet subnet, CancellationToken cancellationToken = default)
    {
        StackNetwork network = StackFirewallIntent.For(stack, subnet);
        return ChangeAsync(() =>
        {
            LoadExposure();
            _stacks = _stacks.SetItem(network.Name, WithOverrides(network));
        }, cancellationToken);
    }

    public Task CloseAsync(string stackName, CancellationToken cancellationToken = default) =>
        RemoveStackAsync(stackName, cancellationToken);

    /// <summary>Changes the owner's settings (LAN subnets, host services, mark) and applies.</summary>
    public Task<FirewallApplyResult> SetSettingsAsync(FirewallIntent settings, CancellationToken cancellationToken = default) =>
        ChangeAsync(() => _settings = settings with { Stacks = [] }, cancellationToken);

    /// <summary>
    /// After a daemon start: takes back the stored rules of the stacks that are still deployed
    /// (<paramref name="deployedStacks"/>; the others are forgotten) and applies the whole intent.
    /// </summary>
    public async Task<FirewallApplyResult> RestoreAsync(IReadOnlyCollection<string> deployedStacks, CancellationToken cancellationToken = default)
    {
        FirewallApplyResult result = await ChangeAsync(() =>
        {
            IReadOnlyList<StackNetwork> stored = _stacksFile is null ? [] : StackNetworkFile.Load(_stacksFile);
            _stacks = stored.Where(s => deployedStacks.Contains(s.Name))
                .ToImmutableSortedDictionary(s => s.Name, s => s, StringComparer.Ordinal);
            _exposureLoaded = false;
            LoadExposure();
            RestorePendingExposure();
        }, cancellationToken);
        ArmPending();
        return result;
    }

    /// <summary>Re-applies the current intent (after a daemon start, or drift).</summary>
    public Task<FirewallApplyResult> ApplyAsync(CancellationToken cancellationToken = default) => ChangeAsync(() => { }, cancellationToken);

    public Task ConfirmAsync(CancellationToken cancellationToken = default) => _backend.ConfirmAsync(cancellationToken);

    private async Task<FirewallApplyResult> ChangeAsync(Action change, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        FirewallIntent settings = _settings;
        ImmutableSortedDictionary<string, StackNetwork> stacks = _stacks;
        ExposureState exposure = _exposure;
        try
        {
            change();
            LastResult = await _backend.ApplyAsync(Intent, cancellationToken);
            if (_stacksFile is not null)
            {
                StackNetworkFile.Save(_stacksFile, _stacks.Values);
            }
            if (_exposureFile is not null && !ReferenceEquals(exposure, _exposure))
            {
                ExposureFile.Save(_exposureFile, _exposure.Overrides, _exposure.Pending.Values);
            }
            return LastResult;
        }
        catch
        {
            // The backend leaves the ruleset as it was when a change fails: so does our model.
            _settings = settings;
            _stacks = stacks;
            _exposure = exposure;
            throw;
        }
        finally
        {
            _writer.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        DisposeExposureTimers();
        await _backend.DisposeAsync();
        _writer.Dispose();
    }
}
