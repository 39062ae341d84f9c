using System.Text.Json;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Images;

/// <summary>The test images (tests/images/build.sh) as they come out of the local registry.</summary>
[Collection(RegistryFixture.Collection)]
public sealed class TestImageTests(RegistryFixture fixture) : IDisposable
{
    private readonly TempDirectory _dir = TempDirectory.Create("images");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task GitlabProbe_FromRegistry_HasEntrypointPortsAndEnv()
    {
        CommandResult inspect = await Command.CheckAsync("skopeo", "inspect", "--tls-verify=false", "--config",
            "docker://" + fixture.Registry.Reference(TestImages.GitlabProbe));

        using JsonDocument doc = JsonDocument.Parse(inspect.Stdout);
        JsonElement config = doc.RootElement.GetProperty("config");
        Assert.Equal("linux", doc.RootElement.GetProperty("os").GetString());
        Assert.Equal("amd64", doc.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(["/usr/local/bin/gitlab-probe"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["22/tcp", "80/tcp"], config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order());
        string[] env = config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Contains("DB_HOST=postgresql", env);
        Assert.Contains("DB_TRIES=60", env);
        Assert.Contains("REDIS_HOST=redis", env);
        Assert.Equal(2, doc.RootElement.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());
    }

    [Fact]
    public async Task GitlabProbe_CopiedFromRegistry_KeepsItsManifest()
    {
        string target = Path.Combine(_dir.Path, "copy");

        await Command.CheckAsync("skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
            "docker://" + fixture.Registry.Reference(TestImages.GitlabProbe), $"oci:{target}:probe");

        // Same manifest digest as in the layout it was pushed from: the registry stored it unchanged.
        Assert.Equal(ManifestDigest(fixture.Layout, TestImages.GitlabProbe), ManifestDigest(target, "probe"));
    }

    [Fact]
    public async Task Postgresql_Rootfs_RunsServerBinaryAndInitdb()
    {
        string rootfs = await UnpackAsync(TestImages.Postgresql);

        CommandResult version = await Command.CheckAsync("chroot", rootfs, "postgres", "--version");
        Assert.StartsWith("postgres (PostgreSQL) 15", version.Stdout);

        // The entrypoint as the image's user: initdb with the password, then the given command.
        await Command.CheckAsync("mknod", "-m", "666", Path.Combine(rootfs, "dev/null"), "c", "1", "3");
        CommandResult init = await Command.RunAsync(
            ["chroot", "--userspec=999:999", rootfs, "env", "-i", "PATH=/usr/local/bin:/usr/bin", "TZ=UTC",
             "POSTGRES_PASSWORD=s3cret", "POSTGRES_DB=gitlab", "/usr/local/bin/docker-entrypoint.sh", "true"],
            TimeSpan.FromMinutes(1));
        Assert.True(init.Succeeded, init.Stderr + init.Stdout);
        Assert.Contains("initialized /var/lib/postgresql/data", init.Stdout);
        string hba = await File.ReadAllTextAsync(Path.Combine(rootfs, "var/lib/postgresql/data/pg_hba.conf"));
        Assert.Contains("host all all 0.0.0.0/0 scram-sha-256", hba);
        Assert.Contains("listen_addresses = '*'", await File.ReadAllTextAsync(Path.Combine(rootfs, "var/lib/postgresql/data/postgresql.conf")));
    }

    [Fact]
    public async Task Redis_Rootfs_RunsServerBinary()
    {
        string rootfs = await UnpackAsync(TestImages.Redis);

        CommandResult version = await Command.CheckAsync("chroot", rootfs, "redis-server", "--version");

        Assert.StartsWith("Redis server v=7", version.Stdout);
    }

    [Fact]
    public async Task GitlabProbe_WithoutDatabase_ExitsNamingIt()
    {
        string rootfs = await UnpackAsync(TestImages.GitlabProbe);
        int closedPort = 9; // discard: nothing listens there on loopback

        CommandResult run = await Command.RunAsync(
            ["chroot", rootfs, "env", "-i", "PATH=/usr/local/bin:/usr/bin", "DB_HOST=127.0.0.1", $"DB_PORT={closedPort}",
             "DB_TRIES=2", "/usr/local/bin/gitlab-probe"], TimeSpan.FromMinutes(1));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"PostgreSQL at 127.0.0.1:{closedPort} did not answer after 2 tries", run.Stderr);
    }

    [Fact]
    public async Task BuildScript_WarmRun_ReturnsTheSameCachedLayout()
    {
        string index = Path.Combine(fixture.Layout, "index.json");
        DateTime before = File.GetLastWriteTimeUtc(index);

        string again = await TestImagesBuildAgainAsync();

        Assert.Equal(fixture.Layout, again);
        Assert.Equal(before, File.GetLastWriteTimeUtc(index));
    }

    private static async Task<string> TestImagesBuildAgainAsync()
    {
        CommandResult result = await Command.CheckAsync("bash", TestImages.ScriptPath);
        return Path.Combine(result.Stdout.Trim().Split('\n')[^1], "oci");
    }

    private static string ManifestDigest(string layout, string tag)
    {
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json")));
        return index.RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => m.TryGetProperty("annotations", out JsonElement a)
                && a.GetProperty("org.opencontainers.image.ref.name").GetString() == tag)
            .GetProperty("digest").GetString()!;
    }

    /// <summary>Unpacks an image's layers from the layout into a fresh directory with tar.</summary>
    private async Task<string> UnpackAsync(string image)
    {
        string rootfs = Path.Combine(_dir.Path, image);
        Directory.CreateDirectory(rootfs);
        string digest = ManifestDigest(fixture.Layout, image);
        using JsonDocument manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Blob(digest)));
        foreach (JsonElement layer in manifest.RootElement.GetProperty("layers").EnumerateArray())
        {
            await Command.CheckAsync("tar", "-xzf", Blob(layer.GetProperty("digest").GetString()!), "-C", rootfs);
        }
        return rootfs;
    }

    private string Blob(string digest) => Path.Combine(fixture.Layout, "blobs", "sha256", digest["sha256:".Length..]);
}
