namespace Appliance.Orchestrator.Images;

/// <summary>Content did not hash to the digest that names it: corrupted in transit or by the registry.</summary>
public sealed class DigestMismatchException(string what, string expected, string actual)
    : ImageException($"{what}: content has digest {actual}, expected {expected}; the download was corrupted (nothing of it was kept). Pull again; if it repeats, the registry serves a damaged blob.")
{
    public string What { get; } = what;

    public string Expected { get; } = expected;

    public string Actual { get; } = actual;
}
