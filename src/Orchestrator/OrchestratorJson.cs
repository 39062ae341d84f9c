using System.Text.Json.Serialization;
using Appliance.Orchestrator.Images;

namespace Appliance.Orchestrator;

/// <summary>
/// The JSON the orchestrator reads and writes with default options (state database columns, the registry's documents,
/// the credentials file), serialized by code generated at build time rather than by reflection, so the daemon can be
/// compiled ahead of time (docs/performance.md, Daemon). Files with options of their own (indented) have a context of
/// their own beside their private types.
/// </summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyCollection<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, RegistryCredential>))]
[JsonSerializable(typeof(OciManifestOrIndex))]
[JsonSerializable(typeof(OciImageConfigFile))]
internal sealed partial class OrchestratorJson : JsonSerializerContext;
