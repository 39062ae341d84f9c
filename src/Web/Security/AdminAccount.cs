namespace Appliance.Web.Security;

/// <summary>A person who may administer the box. Only the hash of the password is kept.</summary>
public sealed record AdminAccount
{
    public required string Name { get; init; }

    public required string PasswordHash { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}
