using Appliance.Web.Ui.Backend;

namespace Appliance.Web.Hosting;

// Request bodies of the UI bridge (/api/daemon/ui, Hosting/UiBridgeApi): one small family, one file. The answers are the
// backend's own views (Ui/Backend/Views.cs), the accounts' records and SetupStatus, as they are.

/// <summary>PUT /api/daemon/ui/stacks: <see cref="IApplianceBackend.DeployAsync"/>.</summary>
public sealed record BridgeDeployRequest(string Name, string StackYaml, Dictionary<string, string> Parameters);

/// <summary>POST /api/daemon/ui/stacks/run: <see cref="IApplianceBackend.RunAsync"/>.</summary>
public sealed record BridgeStackOperation(string Stack, string Operation, bool RemoveVolumes);

/// <summary>POST /api/daemon/ui/services/run: <see cref="IApplianceBackend.RunServiceAsync"/>.</summary>
public sealed record BridgeServiceOperation(string Stack, string Service, string Operation);

/// <summary>POST /api/daemon/ui/exposure: <see cref="IApplianceBackend.SetExposureAsync"/>.</summary>
public sealed record BridgeExposureChange(string Stack, string Service, int HostPort, string Protocol, Exposure Exposure);

/// <summary>POST /api/daemon/ui/firewall/confirm: <see cref="IApplianceBackend.ConfirmChangeAsync"/>.</summary>
public sealed record BridgeConfirmRequest(string ChangeId);

/// <summary>POST /api/daemon/ui/setup/consume: <see cref="Security.ISetupGate.TryConsumeAsync"/>.</summary>
public sealed record BridgeSetupToken(string Token);

/// <summary>A yes/no answer (engine connected, account created, token consumed, ...).</summary>
public sealed record BridgeFlag(bool Value);
