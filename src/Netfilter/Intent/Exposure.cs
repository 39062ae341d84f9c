using System.Net;

namespace Appliance.Netfilter.Intent;

/// <summary>
/// Who may reach something: the host only, the LAN, the internet, or an explicit list of source
/// CIDRs. Immutable; compare with <see cref="Equals(Exposure?)"/> (structural, also for the list).
/// </summary>
public sealed record Exposure
{
    private Exposure(ExposureKind kind, IReadOnlyList<IPNetwork> sources)
    {
        Kind = kind;
        Sources = sources;
    }

    public ExposureKind Kind { get; }

    /// <summary>The allowed source networks; only for <see cref="ExposureKind.Sources"/>, otherwise empty.</summary>
    public IReadOnlyList<IPNetwork> Sources { get; }

    public static Exposure HostOnly { get; } = new(ExposureKind.HostOnly, []);

    public static Exposure Lan { get; } = new(ExposureKind.Lan, []);

    public static Exposure Internet { get; } = new(ExposureKind.Internet, []);

    /// <summary>Exactly these source networks (and the host itself).</summary>
    public static Exposure FromSources(params IEnumerable<IPNetwork> sources)
    {
        IPNetwork[] list = sources.Distinct().ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("an exposure to explicit sources needs at least one CIDR; use Exposure.HostOnly for none", nameof(sources));
        }
        return new(ExposureKind.Sources, list);
    }

    /// <summary>The source networks this exposure allows from outside the host, given the LAN subnets.</summary>
    public IReadOnlyList<IPNetwork> ResolveSources(IReadOnlyList<IPNetwork> lanSubnets) => Kind switch
    {
        ExposureKind.HostOnly => [],
        ExposureKind.Lan => lanSubnets,
        ExposureKind.Internet => [new IPNetwork(IPAddress.Any, 0)],
        _ => Sources,
    };

    public bool Equals(Exposure? other) =>
        other is not null && Kind == other.Kind && Sources.SequenceEqual(other.Sources);

    public override int GetHashCode() => HashCode.Combine(Kind, Sources.Count);

    public override string ToString() => Kind switch
    {
        ExposureKind.HostOnly => "host-only",
        ExposureKind.Lan => "lan",
        ExposureKind.Internet => "internet",
        _ => string.Join(",", Sources),
    };
}
