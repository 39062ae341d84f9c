using System.Text.RegularExpressions;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// A parsed image reference: <c>[REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST]</c>. Without a
/// registry host it is Docker Hub (<c>docker.io</c>, one-word names get <c>library/</c>); without
/// tag or digest the tag is <c>latest</c>. The first path component is a registry host when it
/// has a '.', a ':' or is <c>localhost</c>, as in Docker.
/// </summary>
public sealed partial record ImageReference
{
    public const string DockerHub = "docker.io";

    private ImageReference(string registry, string repository, string? tag, string? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>"docker.io", "127.0.0.1:5000", "ghcr.io".</summary>
    public string Registry { get; }

    /// <summary>"library/postgres", "team/app".</summary>
    public string Repository { get; }

    /// <summary>The tag, or null when the reference has only a digest.</summary>
    public string? Tag { get; }

    /// <summary>"sha256:…" when pinned.</summary>
    public string? Digest { get; }

    /// <summary>Where the Registry HTTP API lives: Docker Hub's API is registry-1.docker.io.</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    /// <summary>The digest, else the tag: what to ask the manifests endpoint for.</summary>
    public string ManifestReference => Digest ?? Tag ?? "latest";

    public static ImageReference Parse(string text)
    {
        if (!TryParse(text, out ImageReference? reference, out string? reason))
        {
            throw new ImageReferenceException(text, reason);
        }
        return reference;
    }

    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ImageReference? reference,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            reason = "it is empty";
            return false;
        }
        if (text.Any(char.IsWhiteSpace))
        {
            reason = "it contains white space";
            return false;
        }
        string rest = text;
        string? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestPattern().IsMatch(digest))
            {
                reason = $"digest '{digest}' is not sha256: followed by 64 lower-case hex digits";
                return false;
            }
        }
        string registry = DockerHub;
        int slash = rest.IndexOf('/');
        if (slash > 0)
        {
            string first = rest[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                registry = first;
                rest = rest[(slash + 1)..];
                if (!HostPattern().IsMatch(registry))
                {
                    reason = $"registry '{registry}' is not a host[:port]";
                    return false;
                }
            }
        }
        string? tag = null;
        int colon = rest.LastIndexOf(':');
        if (colon >= 0)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag))
            {
                reason = $"tag '{tag}' has characters other than letters, digits, '_', '.', '-' or is longer than 128";
                return false;
            }
        }
        if (registry == "index.docker.io")
        {
            registry = DockerHub;
        }
        if (registry == DockerHub && !rest.Contains('/'))
        {
            rest = "library/" + rest;
        }
        if (!RepositoryPattern().IsMatch(rest))
        {
            reason = $"name '{rest}' must be lower-case path components of letters and digits separated by '.', '_', '__' or '-'";
            return false;
        }
        if (tag is null && digest is null)
        {
            tag = "latest";
        }
        reference = new ImageReference(registry, rest, tag, digest);
        reason = null;
        return true;
    }

    /// <summary>This reference pinned to a manifest digest (keeps the tag for display).</summary>
    public ImageReference WithDigest(string digest) => new(Registry, Repository, Tag, digest);

    /// <summary>The canonical text: registry/repository[:tag][@digest].</summary>
    public override string ToString() =>
        $"{Registry}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";

    /// <summary>Shorter text for people: drops "docker.io/library/".</summary>
    public string ToDisplayString()
    {
        string name = Registry == DockerHub
            ? (Repository.StartsWith("library/", StringComparison.Ordinal) ? Repository["library/".Length..] : Repository)
            : $"{Registry}/{Repository}";
        return $"{name}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    internal static partial Regex DigestPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex HostPattern();
}
