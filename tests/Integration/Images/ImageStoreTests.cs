using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Orchestrator.Images;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Images;

/// <summary>
/// Pulls from the local docker-registry (and proxies in front of it) into a store under /tmp/PREFIX-store that keeps
/// layers as EROFS images (<see cref="UnpackingImageStoreTests"/> runs every test again on a store that unpacks them).
/// </summary>
[Collection(RegistryFixture.Collection)]
public class ImageStoreTests(RegistryFixture fixture) : IAsyncLifetime
{
    /// <summary>How the store under test keeps layers: as EROFS images where the kernel mounts them from a file.</summary>
    protected virtual LayerFormat Format => LayerFormat.Auto;

    /// <summary>Linux 6.12 and later with EROFS built in mount an image straight from a file.</summary>
    private static readonly bool KernelMountsErofsFiles = Environment.OSVersion.Version >= new Version(6, 12)
        && File.ReadAllText("/proc/filesystems").Contains("\terofs", StringComparison.Ordinal);

    /// <summary>Whether the store under test keeps layers as EROFS images.</summary>
    private bool StoresErofs => Format != LayerFormat.Directory && KernelMountsErofsFiles;

    private readonly string _prefix = TestPrefix.New();
    private readonly List<IAsyncDisposable> _disposables = new();
    private readonly List<string> _rootfs = new();
    private ImageStore _store = null!;

    private string Dir => Path.Combine(Path.GetTempPath(), _prefix + "-images");

    private LocalRegistry Registry => fixture.Registry;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        _store = NewStore();
        return Task.CompletedTask;
    }

    private ImageStore NewStore(HttpMessageHandler? handler = null, RegistryCredentialStore? credentials = null, string? platform = null) =>
        new(new ImageStoreOptions { Root = Path.Combine(Dir, "store"), HttpHandler = handler, Credentials = credentials, Platform = platform, LayerFormat = Format });

    public async Task DisposeAsync()
    {
        var failures = new List<string>();
        foreach (string containerDir in _rootfs)
        {
            try
            {
                await _store.RemoveRootfsAsync(containerDir);
            }
            catch (Exception e)
            {
                failures.Add(e.Message);
            }
        }
        _store.Dispose();
        foreach (IAsyncDisposable disposable in _disposables.AsEnumerable().Reverse())
        {
            try
            {
                await disposable.DisposeAsync();
            }
            catch (Exception e)
            {
                failures.Add(e.Message);
            }
        }
        Mounts.DetachUnder(Dir); // the stores' layer images
        Directory.Delete(Dir, recursive: true);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Pull_ByTag_StoresConfigAndUnpackedLayers()
    {
        Image image = await _store.PullAsync(Registry.Reference(TestImages.GitlabProbe));

        Assert.Equal(["/usr/local/bin/gitlab-probe"], image.Config.Entrypoint);
        Assert.Equal(["22/tcp", "80/tcp"], image.Config.ExposedPorts);
        Assert.Contains("DB_HOST=postgresql", image.Config.Env);
        Assert.Equal(2, image.Layers.Count);
        Assert.True(File.Exists(Path.Combine(image.Layers[1].Directory, "usr/local/bin/gitlab-probe")));
        Assert.True(File.Exists(Path.Combine(image.Layers[0].Directory, "usr/bin/busybox")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(image.Layers[0].Directory, "usr/bin/sh")).LinkTarget);
        Assert.Equal([$"{Registry.Host}/gitlab-probe:latest"], image.References);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_store.Root, "tmp")));
        // The layers are on disk once, unpacked: no compressed copy beside them; the manifest and config are kept.
        Assert.All(image.Layers, l => Assert.False(File.Exists(_store.BlobPath(l.Digest)), $"compressed blob of {l.Digest} kept"));
        Assert.True(File.Exists(_store.BlobPath(image.Id)));
        Assert.True(File.Exists(_store.BlobPath(image.ManifestDigest)));
    }

    [Fact]
    public async Task Gc_FreesTheCompressedLayerBlobs_AnEarlierVersionKept()
    {
        Image image = await _store.PullAsync(Registry.Reference(TestImages.GitlabProbe));
        // As a store written before layers were kept unpacked only: the compressed layer beside its directory.
        string oldBlob = _store.BlobPath(image.Layers[1].Digest);
        await File.WriteAllBytesAsync(oldBlob, new byte[4096]);

        GarbageCollection collected = await _store.CollectGarbageAsync();

        Assert.False(File.Exists(oldBlob));
        Assert.Equal(1, collected.Blobs);
        Assert.Equal(4096, collected.BytesFreed);
        Assert.True(Directory.Exists(image.Layers[1].Directory));
        Assert.True(File.Exists(_store.BlobPath(image.Id)));
        Assert.Equal(image.Id, (await _store.FindAsync(Registry.Reference(TestImages.GitlabProbe)))!.Id);
    }

    [Fact]
    public async Task Pull_PostgresLayer_KeepsOwnersAndModes()
    {
        Image image = await _store.PullAsync(Registry.Reference(TestImages.Postgresql));

        string data = Path.Combine(image.Layers[1].Directory, "var/lib/postgresql/data");
        CommandResult stat = await Command.CheckAsync("stat", "-c", "%u:%g %a", data, Path.Combine(image.Layers[0].Directory, "tmp"));
        Assert.Equal(["999:999 700", "0:0 1777"], stat.Stdout.Trim().Split('\n'));
        Assert.Equal("999:999", image.Config.User);
    }

    [Fact]
    public async Task Pull_KeepsContentOwnerModeAndModificationTime_OfSmallAndBigFiles()
    {
        // Small files are written in one write, big ones in chunks: both keep what the tar says, to the sub-second.
        string big = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"{i:x5} ")); // 240 KB
        DateTimeOffset time = DateTimeOffset.FromUnixTimeMilliseconds(1_234_567_890_250);
        TarEntry small = OciLayoutBuilder.File("small", "hello", (UnixFileMode)0x1a4);
        TarEntry large = OciLayoutBuilder.File("large", big, (UnixFileMode)0x1a0, uid: 1000, gid: 1000);
        small.ModificationTime = time;
        large.ModificationTime = time.AddSeconds(1);
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "times"));
        layout.AddImage([layout.AddLayer(small, large)], tag: "times");
        await Registry.PushAsync(layout.Directory, "times", $"{_prefix}/times");

        Image image = await _store.PullAsync(Registry.Reference($"{_prefix}/times"));

        string layer = image.Layers[0].Directory;
        Assert.Equal("hello", File.ReadAllText(Path.Combine(layer, "small")));
        Assert.Equal(big, File.ReadAllText(Path.Combine(layer, "large")));
        CommandResult stat = await Command.CheckAsync("stat", "-c", "%u:%g %a %.3Y", Path.Combine(layer, "small"), Path.Combine(layer, "large"));
        Assert.Equal(["0:0 644 1234567890.250", "1000:1000 640 1234567891.250"], stat.Stdout.Trim().Split('\n'));
    }

    [Fact]
    public async Task Pull_ManySmallFiles_KeepTarOrder_ForLinksReplacementsAndXattrs()
    {
        // Small files are created by writer threads while the layer is read on: whatever needs one on disk (a hard link
        // to it, a later entry of the same name, a whiteout of it) must still see the tar's order.
        var entries = new List<TarEntry>();
        for (int i = 0; i < 500; i++)
        {
            entries.Add(OciLayoutBuilder.File($"many/f{i:000}", $"file {i}"));
            if (i % 50 == 49)
            {
                entries.Add(OciLayoutBuilder.HardLink($"many/link{i:000}", $"many/f{i:000}"));
                entries.Add(OciLayoutBuilder.File($"many/f{i - 1:000}", $"replaced {i - 1}"));
                entries.Add(OciLayoutBuilder.File($"many/.wh.f{i - 2:000}", ""));
            }
        }
        TarEntry tagged = OciLayoutBuilder.File("many/tagged", "x", xattrs: new Dictionary<string, string> { ["user.appliance"] = "kept" });
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "order"));
        layout.AddImage([layout.AddLayer([.. entries, tagged, OciLayoutBuilder.HardLink("many/tagged-link", "many/tagged")])], tag: "order");
        await Registry.PushAsync(layout.Directory, "order", $"{_prefix}/order");

        Image image = await _store.PullAsync(Registry.Reference($"{_prefix}/order"));

        string many = Path.Combine(image.Layers[0].Directory, "many");
        for (int i = 49; i < 500; i += 50)
        {
            Assert.Equal($"file {i}", File.ReadAllText(Path.Combine(many, $"link{i:000}")));
            Assert.Equal($"replaced {i - 1}", File.ReadAllText(Path.Combine(many, $"f{i - 1:000}")));
        }
        string[] whiteouts = [.. Enumerable.Range(0, 10).Select(k => Path.Combine(many, $"f{k * 50 + 47:000}"))];
        CommandResult stat = await Command.CheckAsync(["stat", "-c", "%F %t:%T", .. whiteouts]);
        Assert.All(stat.Stdout.Trim().Split('\n'), line => Assert.Equal("character special file 0:0", line));
        Assert.Equal("file 0", File.ReadAllText(Path.Combine(many, "f000")));
        Assert.Equal("file 499", File.ReadAllText(Path.Combine(many, "f499")));
        Assert.Equal(500 + 10 + 2, Directory.EnumerateFileSystemEntries(many).Count());
        byte[] value = new byte[64];
        nint length = lgetxattr(Path.Combine(many, "tagged-link"), "user.appliance", value, value.Length);
        Assert.Equal("kept", length < 0 ? $"lgetxattr failed: errno {Marshal.GetLastPInvokeError()}" : Encoding.UTF8.GetString(value, 0, (int)length));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint lgetxattr(string path, string name, byte[] value, nint size);

    [Fact]
    public async Task Pull_SmallFileThatCannotBeWritten_FailsNamingIt_AndKeepsNothing()
    {
        // The error of a writer thread ends the pull with that error, after every writer stopped.
        var entries = Enumerable.Range(0, 200).Select(i => OciLayoutBuilder.File($"f{i:000}", $"{i}")).ToList();
        TarEntry bad = OciLayoutBuilder.File("bad", "x", xattrs: new Dictionary<string, string> { ["nonamespace"] = "y" }); // setxattr: EOPNOTSUPP
        entries.Insert(100, bad);
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "unwritable"));
        OciLayoutBuilder.Blob layer = layout.AddLayer([.. entries]);
        layout.AddImage([layer], tag: "unwritable");
        await Registry.PushAsync(layout.Directory, "unwritable", $"{_prefix}/unwritable");

        var error = await Assert.ThrowsAsync<ImageStorageException>(() => _store.PullAsync(Registry.Reference($"{_prefix}/unwritable")));

        Assert.Contains("setxattr nonamespace on '", error.Message);
        Assert.Contains("/bad'", error.Message);
        Assert.False(Directory.Exists(_store.LayerPath(layer.Digest)));
        Assert.False(File.Exists(_store.LayerPath(layer.Digest) + ".erofs"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_store.Root, "tmp")));
        Assert.Empty(await _store.ListAsync());
    }

    [Fact]
    public async Task Pull_XattrTooBigToStore_FailsNamingTheFile_AndKeepsNothing()
    {
        // 70,000 bytes: over what setxattr(2) takes at all (64 KiB), and what an EROFS inode's block holds (4 KB).
        TarEntry big = OciLayoutBuilder.File("big", "x", xattrs: new Dictionary<string, string> { ["user.big"] = new('v', 70_000) });
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "bigxattr"));
        OciLayoutBuilder.Blob layer = layout.AddLayer(OciLayoutBuilder.File("before", "1"), big);
        layout.AddImage([layer], tag: "bigxattr");
        await Registry.PushAsync(layout.Directory, "bigxattr", $"{_prefix}/bigxattr");

        var error = await Assert.ThrowsAsync<ImageStorageException>(() => _store.PullAsync(Registry.Reference($"{_prefix}/bigxattr")));

        Assert.Contains("setxattr user.big on '", error.Message);
        Assert.Contains("/big'", error.Message);
        Assert.False(IsLayerStored(layer.Digest));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_store.Root, "tmp")));
    }

    private bool IsLayerStored(string digest) => Directory.Exists(_store.LayerPath(digest)) || File.Exists(_store.LayerPath(digest) + ".erofs");

    [Fact]
    public async Task Pull_KeepsEverythingTheTarSaid_InAnErofsImageTheKernelMounts_OrUnpacked()
    {
        var time = new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1234567);
        var entries = new List<TarEntry> { OciLayoutBuilder.Dir("big") };
        // 400 long names: the directory takes several blocks, searched block by block by the kernel.
        for (int i = 0; i < 400; i++)
        {
            entries.Add(OciLayoutBuilder.File($"big/{new string('n', 40)}{i:000}", $"{i}"));
        }
        string longTarget = string.Join('/', Enumerable.Repeat(new string('t', 60), 50)); // 3,049 bytes: in a data block
        TarEntry owned = OciLayoutBuilder.File("etc/owned", "secret", (UnixFileMode)0xde8 /* 06750 */, uid: 1000, gid: 2000,
            xattrs: new Dictionary<string, string> { ["user.note"] = "kept", ["trusted.overlay.x"] = "y" });
        owned.ModificationTime = time;
        string large = new('L', 300_000);
        entries.AddRange([
            owned,
            OciLayoutBuilder.File("data/large", large),
            OciLayoutBuilder.HardLink("data/again", "data/large"),
            OciLayoutBuilder.Symlink("short", "etc/owned"),
            OciLayoutBuilder.Symlink("long", longTarget),
            new PaxTarEntry(TarEntryType.Fifo, "run/pipe") { Mode = (UnixFileMode)0x180 },
            new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { Mode = (UnixFileMode)0x1b6, DeviceMajor = 1, DeviceMinor = 3 },
        ]);
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "erofs"));
        OciLayoutBuilder.Blob blob = layout.AddLayer([.. entries]);
        layout.AddImage([blob], tag: "erofs");
        await Registry.PushAsync(layout.Directory, "erofs", $"{_prefix}/erofs");

        Image image = await _store.PullAsync(Registry.Reference($"{_prefix}/erofs"));

        string layer = image.Layers[0].Directory;
        bool erofs = StoresErofs;
        Assert.Equal(erofs, File.Exists(layer + ".erofs"));
        Assert.Equal(erofs, (await File.ReadAllLinesAsync("/proc/self/mountinfo")).Any(l => l.Split(' ')[4] == layer && l.Contains(" - erofs ", StringComparison.Ordinal)));
        if (erofs)
        {
            (await Command.CheckAsync("fsck.erofs", layer + ".erofs")).EnsureSuccess();
        }
        Assert.Equal(400, Directory.GetFiles(Path.Combine(layer, "big")).Length);
        Assert.Equal("123", File.ReadAllText(Path.Combine(layer, "big", $"{new string('n', 40)}123")));
        Assert.Equal(large, File.ReadAllText(Path.Combine(layer, "data/again")));
        CommandResult stat = await Command.CheckAsync("stat", "-c", "%u:%g %a %.7Y %h %i %F",
            Path.Combine(layer, "etc/owned"), Path.Combine(layer, "data/large"), Path.Combine(layer, "data/again"),
            Path.Combine(layer, "run/pipe"), Path.Combine(layer, "dev/null"));
        string[] lines = stat.Stdout.Trim().Split('\n');
        Assert.Equal($"1000:2000 6750 {time.ToUnixTimeSeconds()}.1234567 1", string.Join(' ', lines[0].Split(' ')[..4]));
        Assert.Equal(lines[1].Split(' ')[4], lines[2].Split(' ')[4]); // one inode
        Assert.Equal("2", lines[1].Split(' ')[3]);
        Assert.EndsWith("fifo", lines[3]);
        Assert.EndsWith("character special file", lines[4]);
        Assert.Equal("1:3", (await Command.CheckAsync("stat", "-c", "%Hr:%Lr", Path.Combine(layer, "dev/null"))).Stdout.Trim());
        Assert.Equal("etc/owned", new FileInfo(Path.Combine(layer, "short")).LinkTarget);
        Assert.Equal(longTarget, new FileInfo(Path.Combine(layer, "long")).LinkTarget);
        Assert.Equal("kept", (await Command.CheckAsync("getfattr", "--only-values", "-n", "user.note", Path.Combine(layer, "etc/owned"))).Stdout);

        // After a reboot nothing is mounted: a root filesystem mounts the layer again.
        Mounts.DetachUnder(layer);
        Assert.Equal(!erofs, File.Exists(Path.Combine(layer, "etc/owned")));
        string container = Path.Combine(Dir, "erofs-container");
        _rootfs.Add(container);
        Rootfs rootfs = await _store.CreateRootfsAsync(image, container);
        Assert.Equal("secret", File.ReadAllText(Path.Combine(rootfs.Path, "etc/owned")));

        // Garbage collection unmounts and deletes the image (the root filesystem goes first).
        await _store.RemoveRootfsAsync(container);
        _rootfs.Remove(container);
        await _store.RemoveAsync(image.References[0]);
        await _store.CollectGarbageAsync();
        Assert.False(File.Exists(layer + ".erofs"));
        Assert.False(Directory.Exists(layer));
        Assert.DoesNotContain((await File.ReadAllLinesAsync("/proc/self/mountinfo")), l => l.Split(' ')[4] == layer);
    }

    [Fact]
    public async Task Pull_KeepsLayersAsErofsImages_WhereTheKernelMountsThem()
    {
        Image image = await _store.PullAsync(Registry.Reference(TestImages.Busybox));

        // Auto probes the kernel once; a probe that failed for another reason would quietly make every pull slower.
        Assert.All(image.Layers, layer => Assert.Equal(StoresErofs, File.Exists(layer.Directory + ".erofs")));
        Assert.True(File.Exists(Path.Combine(image.Layers[0].Directory, "usr/bin/busybox")));
    }

    [Fact]
    public async Task Pull_ByDigest_GivesTheSameImage()
    {
        Image byTag = await _store.PullAsync(Registry.Reference(TestImages.Redis));

        Image byDigest = await _store.PullAsync($"{Registry.Host}/redis@{byTag.ManifestDigest}");

        Assert.Equal(byTag.Id, byDigest.Id);
        Assert.Contains($"{Registry.Host}/redis@{byTag.ManifestDigest}", byDigest.References);
        Assert.Equal(byTag.Id, (await _store.FindAsync($"{Registry.Host}/redis@{byTag.ManifestDigest}"))!.Id);
    }

    [Fact]
    public async Task Pull_WrongDigest_FailsNotFound()
    {
        string missing = "sha256:" + new string('0', 64);

        var error = await Assert.ThrowsAsync<ImageNotFoundException>(() => _store.PullAsync($"{Registry.Host}/redis@{missing}"));

        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public async Task Pull_Twice_DownloadsNoBlobTheSecondTime()
    {
        var counter = new CountingHandler();
        using ImageStore store = NewStore(counter);
        await store.PullAsync(Registry.Reference(TestImages.GitlabProbe));
        int first = counter.BlobRequests;
        var progress = new List<LayerProgress>();

        await store.PullAsync(Registry.Reference(TestImages.GitlabProbe), new SyncProgress(progress.Add));

        Assert.Equal(3, first); // config + 2 layers
        Assert.Equal(first, counter.BlobRequests);
        Assert.All(progress, p => Assert.Equal(LayerState.AlreadyPresent, p.State));
        Assert.Equal(2, progress.Count);
    }

    [Fact]
    public async Task StartPull_StreamsPerLayerProgress_UntilDone()
    {
        ImagePull pull = _store.StartPull(Registry.Reference(TestImages.Postgresql));
        var seen = new List<LayerProgress>();

        await foreach (LayerProgress p in pull.Progress)
        {
            seen.Add(p);
        }
        Image image = await pull.Completion;

        foreach (ImageLayer layer in image.Layers)
        {
            List<LayerProgress> mine = seen.Where(p => p.Digest == layer.Digest).ToList();
            Assert.Equal(LayerState.Done, mine[^1].State);
            Assert.Equal(layer.Size, mine[^1].Done);
            Assert.Contains(mine, p => p.State == LayerState.Downloading);
        }
    }

    [Fact]
    public async Task Pull_Index_PicksTheHostPlatform()
    {
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "multi"));
        OciLayoutBuilder.Blob amdLayer = layout.AddLayer(OciLayoutBuilder.File("platform", "amd64"));
        OciLayoutBuilder.Blob armLayer = layout.AddLayer(OciLayoutBuilder.File("platform", "arm64"));
        OciLayoutBuilder.Blob amd = layout.AddImage([amdLayer], architecture: "amd64");
        OciLayoutBuilder.Blob arm = layout.AddImage([armLayer], architecture: "arm64");
        layout.AddIndex("multi", (arm, "arm64", "v8"), (amd, "amd64", null));
        await Registry.PushAsync(layout.Directory, "multi", $"{_prefix}/multi", all: true);

        Image image = await _store.PullAsync(Registry.Reference($"{_prefix}/multi"));
        using ImageStore armStore = new(new ImageStoreOptions { Root = Path.Combine(Dir, "arm-store"), Platform = "linux/arm64/v8" });
        Image armImage = await armStore.PullAsync(Registry.Reference($"{_prefix}/multi"));

        Assert.Equal(amd.Digest, image.ManifestDigest);
        Assert.Equal("amd64", image.Config.Architecture);
        Assert.Equal("amd64", File.ReadAllText(Path.Combine(image.Layers[0].Directory, "platform")));
        Assert.Equal(arm.Digest, armImage.ManifestDigest);
    }

    [Fact]
    public async Task Pull_IndexWithoutHostPlatform_FailsListingWhatItHas()
    {
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "foreign"));
        OciLayoutBuilder.Blob layer = layout.AddLayer(OciLayoutBuilder.File("x", "x"));
        layout.AddIndex("foreign", (layout.AddImage([layer], architecture: "arm64"), "arm64", null),
            (layout.AddImage([layer], architecture: "s390x"), "s390x", null));
        await Registry.PushAsync(layout.Directory, "foreign", $"{_prefix}/foreign", all: true);

        var error = await Assert.ThrowsAsync<PlatformNotFoundException>(() => _store.PullAsync(Registry.Reference($"{_prefix}/foreign")));

        Assert.Contains("linux/amd64", error.Message);
        Assert.Contains("linux/arm64, linux/s390x", error.Message);
    }

    [Fact]
    public async Task Pull_BearerTokenRegistry_FetchesTokenWithLogin()
    {
        RegistryProxy proxy = Track(new RegistryProxy(Registry) { RequireBearer = true, TokenCredentials = "alice:wonder" });
        var credentials = new RegistryCredentialStore(Path.Combine(Dir, "registries.json"));
        credentials.Save(proxy.Host, new RegistryCredential("alice", "wonder"));
        using ImageStore store = NewStore(credentials: credentials);

        Image image = await store.PullAsync(proxy.Reference(TestImages.Busybox));

        Assert.Single(image.Layers);
        Assert.True(proxy.TokensIssued >= 1);
    }

    [Fact]
    public async Task Pull_BearerTokenRegistry_WithoutLogin_AsksForOne()
    {
        RegistryProxy proxy = Track(new RegistryProxy(Registry) { RequireBearer = true, TokenCredentials = "alice:wonder" });

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => _store.PullAsync(proxy.Reference(TestImages.Busybox)));

        Assert.Contains("requires a login", error.Message);
        Assert.Contains($"appliance image login {proxy.Host}", error.Message);
    }

    [Fact]
    public async Task Pull_AnonymousBearerRegistry_Works()
    {
        RegistryProxy proxy = Track(new RegistryProxy(Registry) { RequireBearer = true });

        Image image = await _store.PullAsync(proxy.Reference(TestImages.Busybox));

        Assert.Single(image.Layers);
    }

    [Fact]
    public async Task Pull_BasicAuthRegistry_NeedsTheRightLogin()
    {
        string htpasswd = Path.Combine(Dir, "htpasswd");
        CommandResult hash = await Command.CheckAsync("htpasswd", "-Bbn", "bob", "builder");
        await File.WriteAllTextAsync(htpasswd, hash.Stdout);
        LocalRegistry secured = Track(await LocalRegistry.StartAsync(new LocalRegistryOptions
        {
            Prefix = _prefix,
            HtpasswdFile = htpasswd,
            Credentials = "bob:builder",
            PushTestImages = false,
        }));
        await secured.PushAsync(fixture.Layout, TestImages.Busybox, "busybox");
        var credentials = new RegistryCredentialStore(Path.Combine(Dir, "registries.json"));

        var anonymous = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => _store.PullAsync(secured.Reference("busybox")));
        credentials.Save(secured.Host, new RegistryCredential("bob", "wrong"));
        using ImageStore wrong = NewStore(credentials: credentials);
        var refused = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => wrong.PullAsync(secured.Reference("busybox")));
        credentials.Save(secured.Host, new RegistryCredential("bob", "builder"));
        using ImageStore right = NewStore(credentials: credentials);
        Image image = await right.PullAsync(secured.Reference("busybox"));

        Assert.Contains("requires a login (basic auth)", anonymous.Message);
        Assert.Contains("refused the login of 'bob'", refused.Message);
        Assert.Single(image.Layers);
    }

    [Fact]
    public async Task Pull_CorruptedBlob_FailsNamingTheLayer_AndKeepsNothingOfIt()
    {
        Image reference = await ReferenceImageAsync(TestImages.Redis);
        string bad = reference.Layers[1].Digest;
        RegistryProxy proxy = Track(new RegistryProxy(Registry) { CorruptBlob = bad, CorruptOffset = 4096 });

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() => _store.PullAsync(proxy.Reference(TestImages.Redis)));

        Assert.Contains($"layer {bad}", error.Message);
        Assert.False(File.Exists(_store.BlobPath(bad)));
        Assert.False(Directory.Exists(_store.LayerPath(bad)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_store.Root, "tmp")));
        Assert.Empty(await _store.ListAsync());
    }

    [Fact]
    public async Task Pull_InterruptedMidLayer_ThenRetried_Succeeds()
    {
        Image reference = await ReferenceImageAsync(TestImages.Postgresql);
        string big = reference.Layers[1].Digest;
        RegistryProxy proxy = Track(new RegistryProxy(Registry) { InterruptBlob = big, InterruptAfterBytes = 1 << 20, InterruptTimes = 1 });

        var error = await Assert.ThrowsAsync<RegistryException>(() => _store.PullAsync(proxy.Reference(TestImages.Postgresql)));
        Assert.Contains(big, error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_store.Root, "tmp")));
        Assert.False(Directory.Exists(_store.LayerPath(big)));

        Image image = await _store.PullAsync(proxy.Reference(TestImages.Postgresql));

        Assert.Equal(reference.Id, image.Id);
        Assert.True(File.Exists(Path.Combine(image.Layers[1].Directory, "usr/lib/postgresql/15/bin/postgres")));
        Assert.True(proxy.Interruptions >= 2); // cut once, then served whole
    }

    [Fact]
    public async Task Pull_RegistryStallsMidLayer_FailsAfterTheIdleTimeout()
    {
        Image reference = await ReferenceImageAsync(TestImages.Redis);
        string layer = reference.Layers[1].Digest;
        RegistryProxy proxy = Track(new RegistryProxy(Registry) { StallBlob = layer, InterruptAfterBytes = 256 * 1024 });
        using var store = new ImageStore(new ImageStoreOptions { Root = Path.Combine(Dir, "stall-store"), IdleTimeout = TimeSpan.FromSeconds(1) });

        var error = await Assert.ThrowsAsync<RegistryException>(() => store.PullAsync(proxy.Reference(TestImages.Redis)));

        Assert.Contains($"layer {layer}", error.Message);
        Assert.Contains("no data from the registry for 1 s", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }

    [Theory]
    [InlineData("../etc/passwd", "'..' would climb out")]
    [InlineData("/etc/passwd", "absolute paths are not allowed")]
    [InlineData("a/../../etc/passwd", "'..' would climb out")]
    public async Task Pull_LayerEscapingItsDirectory_IsRefused(string name, string reason)
    {
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "evil"));
        OciLayoutBuilder.Blob layer = layout.AddLayer(OciLayoutBuilder.File("ok", "fine"), OciLayoutBuilder.File(name, "root::0:0::/:/bin/sh\n"));
        layout.AddImage([layer], tag: "evil");
        await Registry.PushAsync(layout.Directory, "evil", $"{_prefix}/evil");

        var error = await Assert.ThrowsAsync<UnsafeLayerException>(() => _store.PullAsync(Registry.Reference($"{_prefix}/evil")));

        Assert.Contains(reason, error.Message);
        Assert.Contains(layer.Digest, error.Message);
        Assert.False(Directory.Exists(_store.LayerPath(layer.Digest)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_store.Root, "tmp")));
        Assert.Empty(await _store.ListAsync());
    }

    [Fact]
    public async Task Pull_LayerWritingThroughASymlink_IsRefused()
    {
        string outside = Path.Combine(Dir, "outside");
        Directory.CreateDirectory(outside);
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "evil-link"));
        OciLayoutBuilder.Blob layer = layout.AddLayer(OciLayoutBuilder.Symlink("etc", outside), OciLayoutBuilder.File("etc/passwd", "owned"));
        layout.AddImage([layer], tag: "evil");
        await Registry.PushAsync(layout.Directory, "evil", $"{_prefix}/evil-link");

        var error = await Assert.ThrowsAsync<UnsafeLayerException>(() => _store.PullAsync(Registry.Reference($"{_prefix}/evil-link")));

        Assert.Contains("symbolic link 'etc'", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task Rootfs_Overlay_HonoursWhiteoutsAndOpaqueDirs()
    {
        var layout = new OciLayoutBuilder(Path.Combine(Dir, "wh"));
        OciLayoutBuilder.Blob lower = layout.AddLayer(
            OciLayoutBuilder.Dir("a"), OciLayoutBuilder.File("a/gone", "1"), OciLayoutBuilder.File("a/kept", "2"),
            OciLayoutBuilder.Dir("b"), OciLayoutBuilder.File("b/old", "3"),
            OciLayoutBuilder.File("c", "4"), OciLayoutBuilder.HardLink("c-link", "c"), OciLayoutBuilder.Symlink("d", "a/kept"));
        OciLayoutBuilder.Blob upper = layout.AddLayer(
            OciLayoutBuilder.File("a/.wh.gone", ""), OciLayoutBuilder.Dir("b"), OciLayoutBuilder.File("b/.wh..wh..opq", ""),
            OciLayoutBuilder.File("b/new", "5"), OciLayoutBuilder.File(".wh.c", ""));
        layout.AddImage([lower, upper], tag: "wh");
        await Registry.PushAsync(layout.Directory, "wh", $"{_prefix}/wh");
        Image image = await _store.PullAsync(Registry.Reference($"{_prefix}/wh"));
        string containerDir = Path.Combine(Dir, "c1");

        Rootfs rootfs = await CreateRootfsAsync(image, containerDir);

        Assert.Contains(rootfs.Path, await File.ReadAllTextAsync("/proc/self/mountinfo"));
        Assert.False(File.Exists(Path.Combine(rootfs.Path, "a/gone")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(rootfs.Path, "a/kept")));
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(rootfs.Path, "b")).Select(Path.GetFileName));
        Assert.False(File.Exists(Path.Combine(rootfs.Path, "c")));
        Assert.Equal("4", File.ReadAllText(Path.Combine(rootfs.Path, "c-link")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(rootfs.Path, "d")));
        // the lower layer itself is untouched
        Assert.True(File.Exists(Path.Combine(image.Layers[0].Directory, "a/gone")));
    }

    [Fact]
    public async Task Rootfs_OfADamagedOrMissingLayer_SaysToPullAgain_AndThePullFetchesIt()
    {
        Image image = await _store.PullAsync(Registry.Reference(TestImages.Busybox));
        ImageLayer layer = image.Layers[0];
        Mounts.DetachUnder(layer.Directory); // as after a reboot
        if (StoresErofs)
        {
            // An image cut short (a power loss before the page cache reached the disk): the superblock is zeros.
            await using (FileStream file = File.OpenWrite(layer.Directory + ".erofs"))
            {
                file.Position = 1024;
                await file.WriteAsync(new byte[128]);
            }
        }
        else
        {
            Directory.Delete(layer.Directory, recursive: true);
        }

        var error = await Assert.ThrowsAsync<ImageStorageException>(() => CreateRootfsAsync(image, Path.Combine(Dir, "damaged")));

        Assert.Contains($"layer {layer.Digest}", error.Message);
        Assert.EndsWith($"pull {image.References[0]} again", error.Message);
        Assert.False(File.Exists(layer.Directory + ".erofs"));
        Assert.False(Directory.Exists(Path.Combine(Dir, "damaged", "rootfs", "bin")));
        Image again = await _store.PullAsync(Registry.Reference(TestImages.Busybox));
        Rootfs rootfs = await CreateRootfsAsync(again, Path.Combine(Dir, "repaired"));
        Assert.True(File.Exists(Path.Combine(rootfs.Path, "usr/bin/busybox")));
    }

    [Fact]
    public async Task Rootfs_Writes_GoToTheContainersUpperDir_AndGoAwayWithIt()
    {
        Image image = await _store.PullAsync(Registry.Reference(TestImages.GitlabProbe));
        string containerDir = Path.Combine(Dir, "c2");
        Rootfs rootfs = await CreateRootfsAsync(image, containerDir);

        await File.WriteAllTextAsync(Path.Combine(rootfs.Path, "etc/hostname"), "changed");
        File.Delete(Path.Combine(rootfs.Path, "usr/local/bin/probe-health"));

        Assert.Equal("changed", File.ReadAllText(Path.Combine(rootfs.UpperDir, "etc/hostname")));
        Assert.Equal("appliance-test\n", File.ReadAllText(Path.Combine(image.Layers[0].Directory, "etc/hostname")));
        Assert.True(File.Exists(Path.Combine(image.Layers[1].Directory, "usr/local/bin/probe-health")));

        await _store.RemoveRootfsAsync(containerDir);
        _rootfs.Remove(containerDir);
        Assert.DoesNotContain(rootfs.Path, await File.ReadAllTextAsync("/proc/self/mountinfo"));
        Assert.False(Directory.Exists(rootfs.UpperDir));
    }

    [Fact]
    public async Task Remove_LastReference_CollectsItsBlobsAndLayers_ButNotShared()
    {
        Image probe = await _store.PullAsync(Registry.Reference(TestImages.GitlabProbe));
        Image redis = await _store.PullAsync(Registry.Reference(TestImages.Redis));
        Assert.Equal(probe.Layers[0].Digest, redis.Layers[0].Digest); // busybox base, shared

        await _store.RemoveAsync(Registry.Reference(TestImages.GitlabProbe));

        Assert.Null(await _store.FindAsync(Registry.Reference(TestImages.GitlabProbe)));
        Assert.False(Directory.Exists(probe.Layers[1].Directory));
        Assert.False(File.Exists(_store.BlobPath(probe.Layers[1].Digest)));
        Assert.False(File.Exists(_store.BlobPath(probe.Id)));
        Assert.True(Directory.Exists(redis.Layers[0].Directory));
        Assert.True(Directory.Exists(redis.Layers[1].Directory));
        Assert.Single(await _store.ListAsync());
    }

    [Fact]
    public async Task Gc_KeepsLayersOfAMountedRootfs()
    {
        Image probe = await _store.PullAsync(Registry.Reference(TestImages.GitlabProbe));
        await CreateRootfsAsync(probe, Path.Combine(Dir, "c3"));

        await _store.RemoveAsync(probe.Id);

        Assert.Empty(await _store.ListAsync());
        Assert.True(Directory.Exists(probe.Layers[1].Directory));
    }

    private async Task<Rootfs> CreateRootfsAsync(Image image, string containerDir)
    {
        _rootfs.Add(containerDir);
        return await _store.CreateRootfsAsync(image, containerDir);
    }

    /// <summary>The image as pulled straight from the registry into a separate store (to learn its digests).</summary>
    private async Task<Image> ReferenceImageAsync(string name)
    {
        using var store = new ImageStore(new ImageStoreOptions { Root = Path.Combine(Dir, "reference-store") });
        return await store.PullAsync(Registry.Reference(name));
    }

    private T Track<T>(T disposable) where T : IAsyncDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _blobs;

        public int BlobRequests => _blobs;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _blobs);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class SyncProgress(Action<LayerProgress> report) : IProgress<LayerProgress>
    {
        public void Report(LayerProgress value) => report(value);
    }
}

/// <summary>Every test of <see cref="ImageStoreTests"/> on a store that unpacks layers file by file (kernels before 6.12).</summary>
public sealed class UnpackingImageStoreTests(RegistryFixture fixture) : ImageStoreTests(fixture)
{
    protected override LayerFormat Format => LayerFormat.Directory;
}
