namespace Appliance.Orchestrator.Images;

/// <summary>One layer of an image as stored: its blob digest, uncompressed diff id and unpacked directory.</summary>
public sealed record ImageLayer(string Digest, string DiffId, long Size, string MediaType, string Directory);
