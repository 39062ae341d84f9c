using System.Text.Json.Nodes;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Intent;
using Microsoft.Extensions.Logging;

namespace Appliance.Netfilter.Nftables;

/// <summary>
/// The nftables backend: Appliance's own table (family inet), written through libnftables' JSON
/// API, every change one atomic transaction, never touching another table. Watches its table for
/// drift and restores it; guards changes that cut the owner's access with a confirm window.
/// </summary>
public sealed partial class NftablesBackend : IFirewallBackend
{
    private readonly NftablesBackendOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly List<FirewallDrift> _drifts = new();
    private NftContext? _context;
    private CompiledRuleset? _applied;
    private FirewallIntent? _appliedIntent;
    private CancellationTokenSource? _watch;
    private Task? _watchTask;

    public NftablesBackend(NftablesBackendOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger<NftablesBackend>();
    }

    public string Name => FirewallBackends.Nftables;

    public NftablesBackendOptions Options => _options;

    /// <summary>The intent currently in force (after rollbacks), or null before the first apply.</summary>
    public FirewallIntent? AppliedIntent => _appliedIntent;

    /// <summary>Every drift found and repaired since this backend started, oldest first.</summary>
    public IReadOnlyList<FirewallDrift> Drifts
    {
        get
        {
            lock (_drifts)
            {
                return _drifts.ToList();
            }
        }
    }

    /// <summary>Raised (on a pool thread) after a drift was found and the table restored.</summary>
    public event Action<FirewallDrift>? DriftRestored;

    public Task<FirewallApplyResult> ApplyAsync(FirewallIntent intent, CancellationToken cancellationToken = default) =>
        ApplyAsync(intent, wholeTable: false, cancellationToken);

    /// <summary>As <see cref="ApplyAsync(FirewallIntent, CancellationToken)"/>; <paramref name="wholeTable"/> rewrites the table even when elements would do.</summary>
    internal async Task<FirewallApplyResult> ApplyAsync(FirewallIntent intent, bool wholeTable, CancellationToken cancellationToken = default)
    {
        CompiledRuleset compiled = NftCompiler.Compile(intent);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            NftContext context = await ContextAsync(cancellationToken);
            DateTimeOffset? pendingUntil = null;
            string? lost = _appliedIntent is null ? null : OwnerAccess.Lost(_appliedIntent, intent);
            if (lost is not null)
            {
                pendingUntil = BeginPending(lost);
            }
            else if (_pending is not null)
            {
                pendingUntil = _pending.Until;
            }
            JsonObject? incremental = _applied is null || wholeTable ? null : compiled.ElementTransaction(_applied);
            JsonObject transaction = incremental ?? compiled.FullTransaction();
            int commands = CompiledRuleset.CommandCount(transaction);
            if (commands > 0)
            {
                try
                {
                    await context.RunAsync(transaction, $"apply table inet {compiled.Table}", cancellationToken);
                }
                catch when (lost is not null)
                {
                    CancelPending();
                    throw;
                }
            }
            FirewallIntent? before = _appliedIntent;
            _applied = compiled;
            _appliedIntent = intent;
            foreach (int udpPort in ChangedUdpPorts(before, intent))
            {
                await FlushUdpConntrackAsync(udpPort, cancellationToken);
            }
            Log.Applied(_logger, compiled.Table, _options.Namespace.Path, incremental is null ? "whole table" : "elements only", commands);
            StartWatch();
            IReadOnlyList<string> warnings = incremental is null ? await CheckKernelAsync(intent, cancellationToken) : [];
            return new FirewallApplyResult { Incremental = incremental is not null, Commands = commands, PendingUntil = pendingUntil, Warnings = warnings };
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        await StopWatchAsync();
        await _lock.WaitAsync(cancellationToken);
        try
        {
            string table = OwnTable;
            NftContext context = await ContextAsync(cancellationToken);
            await context.RunAsync(CompiledRuleset.RemoveTransaction(table), $"remove table inet {table}", cancellationToken);
            CancelPending();
            _applied = null;
            _appliedIntent = null;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Appliance's table as it is now in the kernel (libnftables JSON listing), or null if absent.</summary>
    internal async Task<JsonArray?> ListOwnTableAsync(CancellationToken cancellationToken = default)
    {
        NftContext context = await ContextAsync(cancellationToken);
        return await context.ListTableAsync(OwnTable, cancellationToken);
    }

    /// <summary>The whole live ruleset (all tables) as libnftables JSON, read only.</summary>
    internal async Task<JsonArray> ListRulesetAsync(CancellationToken cancellationToken = default) =>
        await (await ContextAsync(cancellationToken)).ListRulesetAsync(cancellationToken);

    private async Task<NftContext> ContextAsync(CancellationToken cancellationToken) =>
        _context ??= await NftContext.CreateAsync(_options.Namespace, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await StopWatchAsync();
        // A pending change is left to its rollback guard, exactly as if this process died.
        _pendingTimer?.Dispose();
        if (_context is not null)
        {
            await _context.DisposeAsync();
            _context = null;
        }
    }
}
