using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Images;

/// <summary>`appliance image pull|ls|rm` as a user runs them (the built executable, its own process).</summary>
[Collection(RegistryFixture.Collection)]
public sealed class ImageCliTests(RegistryFixture fixture) : IDisposable
{
    private readonly TempDirectory _dir = TempDirectory.Create("cli");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task PullLsRm_FromTheCommandLine()
    {
        string reference = fixture.Registry.Reference(TestImages.GitlabProbe);

        CommandResult pull = await ApplianceAsync("image", "pull", reference);
        CommandResult again = await ApplianceAsync("image", "pull", reference);
        CommandResult ls = await ApplianceAsync("image", "ls");
        CommandResult rm = await ApplianceAsync("image", "rm", reference);
        CommandResult lsAfter = await ApplianceAsync("image", "ls");

        Assert.True(pull.Succeeded, pull.Stderr);
        Assert.Contains("done", pull.Stdout);
        Assert.Contains($"{reference}: sha256:", pull.Stdout);
        Assert.Contains("already present", again.Stdout);
        Assert.Contains(reference, ls.Stdout);
        Assert.True(rm.Succeeded, rm.Stderr);
        Assert.DoesNotContain(reference, lsAfter.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir.Path, "images", "layers")));
    }

    [Fact]
    public async Task Pull_BadReference_ExitsOneWithTheReason()
    {
        CommandResult pull = await ApplianceAsync("image", "pull", "Not A Reference");

        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("is not an image reference", pull.Stderr);
    }

    private Task<CommandResult> ApplianceAsync(params string[] args) =>
        Command.RunAsync([Path.Combine(AppContext.BaseDirectory, "appliance"), .. args, "--state-dir", _dir.Path], TimeSpan.FromMinutes(2));
}
