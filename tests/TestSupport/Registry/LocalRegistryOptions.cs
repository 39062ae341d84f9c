namespace Appliance.TestSupport.Registry;

/// <summary>How to start a <see cref="LocalRegistry"/>.</summary>
public sealed record LocalRegistryOptions
{
    /// <summary>The test prefix its directory and process carry; a new one when null.</summary>
    public string? Prefix { get; init; }

    /// <summary>A bcrypt htpasswd file: the registry then requires basic auth.</summary>
    public string? HtpasswdFile { get; init; }

    /// <summary>"user:password" for pushing when <see cref="HtpasswdFile"/> is set.</summary>
    public string? Credentials { get; init; }

    /// <summary>Push the small test images (<see cref="TestImages.Small"/>) once it answers.</summary>
    public bool PushTestImages { get; init; } = true;
}
