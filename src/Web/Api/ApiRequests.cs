using Appliance.Web.Ui.Backend;

namespace Appliance.Web.Api;

// Request bodies and list rows of the REST API: a small DTO family, one file. (Named, not anonymous: the request delegate
// generator writes each endpoint's code at build time and cannot name an anonymous type.)

public sealed record DeployRequest(string Name, string StackYaml, Dictionary<string, string>? Parameters);

public sealed record InstallRequest(Dictionary<string, string>? Parameters);

public sealed record ValidateRequest(string StackYaml);

public sealed record ExposureRequest(Exposure Exposure, string? Protocol);

public sealed record CreateUserRequest(string Name, string Password);

public sealed record CreateTokenRequest(string? Name);

public sealed record CreatedToken(string Id, string Name, string Secret);

public sealed record CatalogListEntry(string Name, string Title, string Description, IReadOnlyList<Ui.Catalog.CatalogParameter> Parameters,
    IReadOnlyList<int> DefaultHostPorts);

public sealed record UserListEntry(string Name, DateTimeOffset CreatedAt);

public sealed record TokenListEntry(string Id, string Name, string Owner, DateTimeOffset CreatedAt);
