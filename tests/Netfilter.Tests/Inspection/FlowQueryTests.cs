using System.Net;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Tests.Inspection;

public sealed class FlowQueryTests
{
    [Fact]
    public void Parse_FullForm_ReadsEveryPart()
    {
        FlowQuery q = FlowQuery.Parse("192.168.50.10", "192.168.50.1:10053/udp");

        Assert.Equal(IPAddress.Parse("192.168.50.10"), q.From);
        Assert.Equal(IPAddress.Parse("192.168.50.1"), q.To);
        Assert.Equal(10053, q.Port);
        Assert.Equal(TransportProtocol.Udp, q.Protocol);
    }

    [Fact]
    public void Parse_WithoutProtocol_IsTcp() =>
        Assert.Equal(TransportProtocol.Tcp, FlowQuery.Parse("10.0.0.1", "10.0.0.2:80").Protocol);

    [Theory]
    [InlineData("nope", "10.0.0.2:80", "--from 'nope'")]
    [InlineData("10.0.0.1", "10.0.0.2", "IP:PORT")]
    [InlineData("10.0.0.1", "10.0.0.2:99999", "IP:PORT")]
    [InlineData("10.0.0.1", "10.0.0.2:80/sctp", "not tcp or udp")]
    public void Parse_Bad_SaysWhatIsExpected(string from, string to, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => FlowQuery.Parse(from, to)).Message);
}
