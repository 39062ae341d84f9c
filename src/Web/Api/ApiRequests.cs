using Appliance.Web.Ui.Backend;

namespace Appliance.Web.Api;

// Request bodies of the REST API: a small DTO family, one file.

public sealed record DeployRequest(string Name, string StackYaml, Dictionary<string, string>? Parameters);

public sealed record InstallRequest(Dictionary<string, string>? Parameters);

public sealed record ValidateRequest(string StackYaml);

public sealed record ExposureRequest(Exposure Exposure, string? Protocol);

public sealed record CreateUserRequest(string Name, string Password);

public sealed record CreateTokenRequest(string? Name);

public sealed record CreatedToken(string Id, string Name, string Secret);
