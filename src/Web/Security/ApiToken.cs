namespace Appliance.Web.Security;

/// <summary>A bearer token for scripts. Only the SHA-256 of the secret is kept; the secret is shown once.</summary>
public sealed record ApiToken
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Owner { get; init; }

    public required string SecretSha256 { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? LastUsedAt { get; init; }
}
