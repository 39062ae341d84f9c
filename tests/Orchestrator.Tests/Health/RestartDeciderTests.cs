using Appliance.Orchestrator.Health;

namespace Appliance.Orchestrator.Tests.Health;

public class RestartDeciderTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData("no", RestartPolicyKind.No, null)]
    [InlineData("always", RestartPolicyKind.Always, null)]
    [InlineData("unless-stopped", RestartPolicyKind.UnlessStopped, null)]
    [InlineData("on-failure", RestartPolicyKind.OnFailure, null)]
    [InlineData("on-failure:5", RestartPolicyKind.OnFailure, 5)]
    public void Parse_Accepts_ComposeValues(string text, RestartPolicyKind kind, int? max)
    {
        RestartPolicy policy = RestartPolicy.Parse(text);
        Assert.Equal(kind, policy.Kind);
        Assert.Equal(max, policy.MaxRetries);
        Assert.Equal(text, policy.ToString());
    }

    [Theory]
    [InlineData("sometimes", "expected \"no\", always, on-failure[:N] or unless-stopped")]
    [InlineData("on-failure:0", "positive whole number")]
    [InlineData("on-failure:x", "positive whole number")]
    public void Parse_Rejects_WithFix(string text, string hint)
    {
        Assert.False(RestartPolicy.TryParse(text, out _, out string? error));
        Assert.Contains(hint, error);
        Assert.Contains(text, error);
    }

    [Fact]
    public void Always_Restarts_WithExponentialBackoff_ResetByStableRun()
    {
        RestartPolicy always = RestartPolicy.Parse("always");
        Assert.Equal(TimeSpan.FromSeconds(1), RestartDecider.Decide(always, 0, false, 0, Short).Delay);
        Assert.Equal(TimeSpan.FromSeconds(2), RestartDecider.Decide(always, 1, false, 1, Short).Delay);
        Assert.Equal(TimeSpan.FromSeconds(8), RestartDecider.Decide(always, 1, false, 3, Short).Delay);
        Assert.Equal(TimeSpan.FromMinutes(2), RestartDecider.Decide(always, 1, false, 30, Short).Delay);
        Assert.Equal(TimeSpan.FromSeconds(1), RestartDecider.Decide(always, 1, false, 30, TimeSpan.FromMinutes(5)).Delay);
    }

    [Fact]
    public void OnFailure_IgnoresCleanExit_AndStopsAfterN()
    {
        RestartPolicy policy = RestartPolicy.Parse("on-failure:3");
        Assert.False(RestartDecider.Decide(policy, 0, false, 0, Short).Restart);
        Assert.True(RestartDecider.Decide(policy, 2, false, 2, Short).Restart);
        RestartDecision giveUp = RestartDecider.Decide(policy, 2, false, 3, Short);
        Assert.False(giveUp.Restart);
        Assert.Contains("gave up after 3", giveUp.Reason);
    }

    [Fact]
    public void No_And_UserStop_NeverRestart()
    {
        Assert.False(RestartDecider.Decide(RestartPolicy.No, 1, false, 0, Short).Restart);
        Assert.False(RestartDecider.Decide(RestartPolicy.Parse("always"), 137, true, 0, Short).Restart);
    }

    [Fact]
    public void StartAtBoot_FollowsDocker()
    {
        Assert.True(RestartDecider.StartAtBoot(RestartPolicy.Parse("always"), stoppedByUser: true));
        Assert.True(RestartDecider.StartAtBoot(RestartPolicy.Parse("unless-stopped"), stoppedByUser: false));
        Assert.False(RestartDecider.StartAtBoot(RestartPolicy.Parse("unless-stopped"), stoppedByUser: true));
        Assert.False(RestartDecider.StartAtBoot(RestartPolicy.Parse("on-failure"), stoppedByUser: false));
        Assert.False(RestartDecider.StartAtBoot(RestartPolicy.No, stoppedByUser: false));
    }
}
