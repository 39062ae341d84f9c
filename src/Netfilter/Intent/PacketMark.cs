namespace Appliance.Netfilter.Intent;

/// <summary>
/// The packet mark of the host-firewall handshake: every flow Appliance allows leaves Appliance's
/// chains with <c>meta mark set meta mark | Value</c>, so a host firewall that drops by default
/// needs one rule, <c>meta mark &amp; Mask == Value accept</c>, in each of its input and forward
/// chains. Value must lie within Mask.
/// </summary>
public sealed record PacketMark(uint Value, uint Mask)
{
    /// <summary>Bit 24: 0x01000000, away from the bits Kubernetes (0x4000, 0x8000) and firewalld use.</summary>
    public static PacketMark Default { get; } = new(0x0100_0000, 0x0100_0000);

    /// <summary>The rule a host firewall needs, in nft syntax.</summary>
    public string HostRule => $"meta mark & 0x{Mask:x8} == 0x{Value:x8} accept";

    public override string ToString() => $"0x{Value:x8}/0x{Mask:x8}";
}
