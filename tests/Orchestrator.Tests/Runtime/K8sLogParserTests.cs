using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Tests.Runtime;

public sealed class K8sLogParserTests
{
    [Fact]
    public void Parse_FullLine_KeepsStreamTextAndNanosecondTimestamp()
    {
        LogLine? line = new K8sLogParser().Parse("2026-11-24T14:13:10.885995647+00:00 stderr F oops: a b  c");

        Assert.NotNull(line);
        Assert.Equal(LogStream.Stderr, line.Stream);
        Assert.Equal("oops: a b  c", line.Text);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 14, 13, 10, TimeSpan.Zero).AddTicks(8859956), line.Timestamp);
    }

    [Fact]
    public void Parse_PartialLines_AreJoinedPerStream()
    {
        var parser = new K8sLogParser();

        LogLine? first = parser.Parse("2026-11-24T14:13:10.1+00:00 stdout P hel");
        LogLine? other = parser.Parse("2026-11-24T14:13:10.2+00:00 stderr F err");
        LogLine? last = parser.Parse("2026-11-24T14:13:10.3+00:00 stdout F lo");

        Assert.Null(first);
        Assert.Equal("err", other!.Text);
        Assert.Equal("hello", last!.Text);
    }

    [Fact]
    public void Parse_Garbage_IsSkipped()
    {
        Assert.Null(new K8sLogParser().Parse("not a log line"));
    }
}
