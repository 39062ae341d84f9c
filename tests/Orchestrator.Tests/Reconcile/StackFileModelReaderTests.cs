using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Reconcile;

namespace Appliance.Orchestrator.Tests.Reconcile;

public class StackFileModelReaderTests
{
    private static string RepoFile(string relative)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Appliance.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return Path.Combine(dir ?? throw new InvalidOperationException("Appliance.sln not found above the test binaries"), relative);
    }

    [Fact]
    public void PackagedGitlab_MapsRestart_Health_Dependencies_Autoheal_AndSchedules()
    {
        var deployment = new StackDeployment("gitlab", 1, File.ReadAllText(RepoFile("stacks/gitlab/stack.yaml")), new Dictionary<string, string>
        {
            ["DB_PASS"] = "p", ["GITLAB_SECRETS_DB_KEY_BASE"] = "a", ["GITLAB_SECRETS_SECRET_KEY_BASE"] = "b",
            ["GITLAB_SECRETS_OTP_KEY_BASE"] = "c", ["GITLAB_ROOT_PASSWORD"] = "d",
        });
        StackModel model = new StackFileModelReader("/var/lib/appliance").Read(deployment);

        ServiceModel postgresql = model.Service("postgresql")!;
        Assert.Equal(RestartPolicyKind.Always, postgresql.Restart.Kind);
        Assert.Equal(["/bin/sh", "-c", "pg_isready -h 127.0.0.1 -U ${DB_USER} -d ${DB_NAME}"], postgresql.HealthCheck!.Command);
        Assert.Equal(TimeSpan.FromSeconds(30), postgresql.HealthCheck.StartPeriod);
        Assert.Equal(10, postgresql.HealthCheck.Retries);
        Assert.True(postgresql.Autoheal.Enabled);

        ServiceModel gitlab = model.Service("gitlab")!;
        Assert.Contains("postgresql", gitlab.DependsOn);
        Assert.Contains("redis", gitlab.DependsOn);

        ScheduleSpec schedule = Assert.Single(model.Schedules);
        Assert.Equal(("nightly-update-check", "0 30 3 * * ?", ScheduleAction.UpdateCheck), (schedule.Name, schedule.Cron, schedule.Action));
        Assert.Null(MisfirePolicy.Validate(schedule.Cron));
    }

    [Fact]
    public void BrokenDeployedFile_SaysWhichStackAndWhy() =>
        Assert.Contains("'broken' (version 3) no longer loads",
            Assert.Throws<InvalidOperationException>(() => new StackFileModelReader("/x").Read(new StackDeployment("broken", 3, "services: [", new Dictionary<string, string>()))).Message);

    [Theory]
    [InlineData("30 3 * * *", "0 30 3 * * ?")]
    [InlineData("0 4 * * 0", "0 0 4 ? * 1")]
    [InlineData("0 4 * * 7", "0 0 4 ? * 1")]
    [InlineData("*/15 * * * 1-5", "0 */15 * ? * 2-6")]
    [InlineData("0 2 1 * *", "0 0 2 1 * ?")]
    public void UnixCron_BecomesQuartzCron(string unix, string quartz)
    {
        Assert.Equal(quartz, UnixCron.ToQuartz(unix));
        Assert.Null(MisfirePolicy.Validate(quartz));
    }
}
