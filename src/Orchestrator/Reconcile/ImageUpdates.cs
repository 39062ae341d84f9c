using System.Collections.Concurrent;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.State;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>A tag of a stack whose registry now serves another image than the one the box has.</summary>
public sealed record ImageUpdate(string Reference, string? LocalDigest, string RemoteDigest);

/// <summary>What the last check of a stack found (nothing newer: an empty list), and when.</summary>
public sealed record ImageCheck(IReadOnlyList<ImageUpdate> Newer, DateTimeOffset CheckedAt);

/// <summary>
/// Newer images for a deployed stack's tags: the registry's manifest digest for each tag (no layer downloaded) against the
/// local image's. <see cref="CheckAsync"/> is the schedules' `update-check`; <see cref="UpdateAsync"/> the stack page's "Update
/// images": it pulls what is newer and deploys the same stack file again as a new version, which recreates the stack's
/// containers on the new images (verified and rolled back like any deploy). The last check's finding per stack is kept
/// (<see cref="LastCheck"/>) so the stack page can say that newer images are waiting, whoever checked.
/// </summary>
public sealed class ImageUpdates(ImageStore images, StackRepository stacks, EventLog events, string stateDir, TimeProvider? timeProvider = null)
    : IImageUpdateChecker
{
    private readonly ConcurrentDictionary<string, ImageCheck> _lastChecks = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>What the last check of <paramref name="stack"/> found since the daemon started; null if it was not checked.</summary>
    public ImageCheck? LastCheck(string stack) => _lastChecks.GetValueOrDefault(stack);

    /// <summary>
    /// What the last check of <paramref name="stack"/> found that still holds for the stack as deployed now, which uses
    /// <paramref name="references"/>: a finding for a tag the stack no longer uses, or whose local image changed since the
    /// check (a redeploy pulled it), is left out. Null if it was not checked.
    /// </summary>
    public async Task<ImageCheck?> CurrentCheckAsync(string stack, IReadOnlyCollection<string> references, CancellationToken cancellationToken = default)
    {
        ImageCheck? check = LastCheck(stack);
        if (check is null || check.Newer.Count == 0)
        {
            return check;
        }
        var still = new List<ImageUpdate>();
        foreach (ImageUpdate update in check.Newer.Where(u => references.Contains(u.Reference)))
        {
            if ((await images.FindAsync(update.Reference, cancellationToken))?.ManifestDigest == update.LocalDigest)
            {
                still.Add(update);
            }
        }
        return check with { Newer = still };
    }

    /// <summary>Forgets what was found for a stack that was removed.</summary>
    public void Forget(string stack) => _lastChecks.TryRemove(stack, out _);

    public async Task<IReadOnlyList<ImageUpdate>> FindAsync(string stack, CancellationToken cancellationToken = default)
    {
        StackRecord record = await stacks.GetStackAsync(stack, cancellationToken)
            ?? throw new StateConflictException($"there is no stack '{stack}'; `appliance stack ls` lists the deployed stacks");
        StackLoadResult loaded = StackLoader.LoadFromText(record.StackFile, StackFiles.PathOf(stateDir, stack), record.Parameters);
        if (loaded.Stack is not ResolvedStack resolved)
        {
            throw new InvalidOperationException($"the stack file of '{stack}' does not load: " + string.Join("; ", loaded.Errors.Take(3)));
        }
        var newer = new List<ImageUpdate>();
        foreach (string reference in resolved.Services.Select(s => s.Image).Distinct(StringComparer.Ordinal))
        {
            string remote = await images.RemoteManifestDigestAsync(reference, cancellationToken);
            string? local = (await images.FindAsync(reference, cancellationToken))?.ManifestDigest;
            if (local != remote)
            {
                newer.Add(new ImageUpdate(reference, local, remote));
            }
        }
        _lastChecks[stack] = new ImageCheck(newer, _time.GetUtcNow());
        return newer;
    }

    public async Task<string> CheckAsync(StackDeployment deployment, CancellationToken cancellationToken = default) =>
        Summarize(await FindAsync(deployment.Stack, cancellationToken));

    /// <summary>One line for a check's finding, as the schedules and the stack page's "Check for updates" report it.</summary>
    public static string Summarize(IReadOnlyList<ImageUpdate> newer) =>
        newer.Count == 0
            ? "every image is up to date"
            : "newer images in the registry: " + string.Join(", ", newer.Select(Describe)) + "; Update images on the stack's page applies them";

    /// <summary>Pulls the newer images and deploys the stack again on them (a new version); a stack whose images are all
    /// current is left alone (its version unchanged).</summary>
    public async Task<DeployResult> UpdateAsync(string stack, Deployer deployer, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ImageUpdate> newer = await FindAsync(stack, cancellationToken);
        StackRecord record = (await stacks.GetStackAsync(stack, cancellationToken))!;
        if (newer.Count == 0)
        {
            return new DeployResult(true, stack, record.Version, $"Every image of '{stack}' is up to date; nothing changed.");
        }
        foreach (ImageUpdate update in newer)
        {
            await images.PullAsync(update.Reference, cancellationToken: cancellationToken);
        }
        await events.PublishAsync(EventKind.Deploy, stack, null, $"pulled newer images: {string.Join(", ", newer.Select(u => u.Reference))}",
            "update images", cancellationToken);
        DeployResult result = await deployer.DeployAsync(stack, record.StackFile, record.Parameters, cancellationToken);
        if (result.Succeeded)
        {
            _lastChecks[stack] = new ImageCheck([], _time.GetUtcNow());
        }
        return result with { Message = $"Updated {string.Join(", ", newer.Select(Describe))}: {result.Message}" };
    }

    private static string Describe(ImageUpdate u) => $"{u.Reference} ({Short(u.LocalDigest)} -> {Short(u.RemoteDigest)})";

    private static string Short(string? digest) => digest is null ? "not on the box" : digest.Length > 19 ? digest[..19] : digest;
}
