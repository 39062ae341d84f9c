using System.Net;
using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Networking.Netlink;

namespace Appliance.Orchestrator.Tests.Networking;

public sealed class NetlinkMessageWriterTests
{
    [Fact]
    public void Writer_PadsAttributes_NestsAndSetsLengths()
    {
        Span<byte> buffer = stackalloc byte[256];
        var w = new NetlinkMessageWriter(buffer, Rtnl.RTM_NEWLINK, Rtnl.NLM_F_REQUEST, 7);
        w.Write(new ifinfomsg { ifi_index = 3 });
        w.Attribute(Rtnl.IFLA_IFNAME, "br0");          // 4 + 4 bytes ("br0\0")
        int nest = w.BeginNested(Rtnl.IFLA_LINKINFO);
        w.Attribute(Rtnl.IFLA_INFO_KIND, "veth");       // 4 + 5 -> padded to 12
        w.EndNested(nest);
        byte[] message = w.Finish().ToArray();

        Assert.Equal(16 + 16 + 8 + 4 + 12, message.Length);
        Assert.Equal(message.Length, BitConverter.ToInt32(message, 0));
        Assert.Equal(Rtnl.RTM_NEWLINK, BitConverter.ToUInt16(message, 4));
        Assert.Equal(7u, BitConverter.ToUInt32(message, 8));
        Assert.Equal(3, BitConverter.ToInt32(message, 16 + 4));
        Assert.Equal(8, BitConverter.ToUInt16(message, 32));                       // rta_len of IFLA_IFNAME
        Assert.Equal(16, BitConverter.ToUInt16(message, 40));                      // nested length includes its padding
        Assert.Equal(Rtnl.IFLA_LINKINFO | Rtnl.NLA_F_NESTED, BitConverter.ToUInt16(message, 42));
        Assert.Equal(9, BitConverter.ToUInt16(message, 44));                       // rta_len excludes padding
    }

    [Fact]
    public void Reader_WalksWhatWriterWrote_IncludingAddresses()
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buffer, Rtnl.RTM_NEWADDR, 0, 0);
        w.Attribute(Rtnl.IFA_LOCAL, IPAddress.Parse("10.88.0.2"));
        w.Attribute(Rtnl.IFA_LABEL, "eth0");
        ReadOnlySpan<byte> message = w.Finish();

        var reader = new NetlinkAttributeReader(message[16..]);
        Assert.True(reader.MoveNext());
        Assert.Equal(Rtnl.IFA_LOCAL, reader.Type);
        Assert.Equal(IPAddress.Parse("10.88.0.2"), NetlinkAttributeReader.ReadAddress(reader.Payload));
        Assert.True(reader.MoveNext());
        Assert.Equal("eth0", NetlinkAttributeReader.ReadString(reader.Payload));
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void Reader_TruncatedAttribute_StopsWithoutReadingPastTheEnd()
    {
        byte[] bogus = [200, 0, 3, 0, 1, 2];

        var reader = new NetlinkAttributeReader(bogus);

        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void Writer_Overflow_Throws()
    {
        byte[] buffer = new byte[24];
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkMessageWriter(buffer, Rtnl.RTM_NEWLINK, 0, 0);
            w.Attribute(Rtnl.IFLA_IFNAME, "a-long-interface-name");
        });
    }
}
