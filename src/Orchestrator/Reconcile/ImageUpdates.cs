using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.State;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>A tag of a stack whose registry now serves another image than the one the box has.</summary>
public sealed record ImageUpdate(string Reference, string? LocalDigest, string RemoteDigest);

/// <summary>
/// Newer images for a deployed stack's tags: the registry's manifest digest for each tag (no layer downloaded) against the
/// local image's. <see cref="CheckAsync"/> is the schedules' `update-check`; <see cref="UpdateAsync"/> the stack page's "Update
/// images": it pulls what is newer and deploys the same stack file again as a new version, which recreates the stack's
/// containers on the new images (verified and rolled back like any deploy).
/// </summary>
public sealed class ImageUpdates(ImageStore images, StackRepository stacks, EventLog events, string stateDir) : IImageUpdateChecker
{
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
        return newer;
    }

    public async Task<string> CheckAsync(StackDeployment deployment, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ImageUpdate> newer = await FindAsync(deployment.Stack, cancellationToken);
        return newer.Count == 0
            ? "every image is up to date"
            : "newer images in the registry: " + string.Join(", ", newer.Select(Describe)) + "; Update images on the stack's page applies them";
    }

    /// <summary>Pulls the newer images and deploys the stack again on them; a stack whose images are all current is left alone.</summary>
    public async Task<(bool Succeeded, string Message)> UpdateAsync(string stack, Deployer deployer, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ImageUpdate> newer = await FindAsync(stack, cancellationToken);
        if (newer.Count == 0)
        {
            return (true, $"Every image of '{stack}' is up to date; nothing changed.");
        }
        foreach (ImageUpdate update in newer)
        {
            await images.PullAsync(update.Reference, cancellationToken: cancellationToken);
        }
        await events.PublishAsync(EventKind.Deploy, stack, null, $"pulled newer images: {string.Join(", ", newer.Select(u => u.Reference))}",
            "update images", cancellationToken);
        StackRecord record = (await stacks.GetStackAsync(stack, cancellationToken))!;
        DeployResult result = await deployer.DeployAsync(stack, record.StackFile, record.Parameters, cancellationToken);
        return (result.Succeeded, $"Updated {string.Join(", ", newer.Select(Describe))}: {result.Message}");
    }

    private static string Describe(ImageUpdate u) => $"{u.Reference} ({Short(u.LocalDigest)} -> {Short(u.RemoteDigest)})";

    private static string Short(string? digest) => digest is null ? "not on the box" : digest.Length > 19 ? digest[..19] : digest;
}
