using System.Diagnostics;
using System.Text.Json;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Runtime;

public sealed class RuncRuntimeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Container_InItsNetns_SeesHostsFileAndHostname()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        string netns = await bed.Box.CreateNamespaceFileAsync(bed.Box.Prefix + "-web");
        ContainerSpec spec = bed.Spec("web", "echo started; exec sleep 600", netns) with
        {
            Hosts = [new HostEntry("10.88.0.2", ["postgresql", "db"]), new HostEntry("10.88.0.3", ["redis"])],
        };

        ContainerState created = await bed.Runtime.CreateAsync(spec);
        await bed.Runtime.StartAsync(spec.Id);
        await Poll.UntilAsync(async () => (await bed.LogTextAsync(spec.Id)).Contains("started"), Timeout, () => "container never printed 'started'");
        ExecResult hosts = await bed.Runtime.ExecAsync(spec.Id, ["cat", "/etc/hosts"], Timeout);
        ExecResult hostname = await bed.Runtime.ExecAsync(spec.Id, ["hostname"], Timeout);
        ContainerState running = (await bed.Runtime.InspectAsync(spec.Id))!;
        string containerNetns = new FileInfo($"/proc/{running.Pid}/ns/net").LinkTarget!;
        CommandResult expectedNetns = await Command.CheckAsync("stat", "-L", "-c", "net:[%i]", netns);

        Assert.Equal(ContainerStatus.Created, created.Status);
        Assert.Equal(ContainerStatus.Running, running.Status);
        Assert.Equal(0, hosts.ExitCode);
        Assert.Contains("10.88.0.2\tpostgresql db", hosts.Stdout);
        Assert.Contains("10.88.0.3\tredis", hosts.Stdout);
        Assert.Equal("web", hostname.Stdout.Trim());
        Assert.Equal(expectedNetns.Stdout.Trim(), containerNetns);
    }

    [Fact]
    public async Task Container_ExitingWith3_IsStoppedWithCode3_AndKeepsLogs()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec spec = bed.Spec("exits", "echo to-out; echo to-err >&2; exit 3");

        ContainerState state = await bed.RunToExitAsync(spec, Timeout);
        string logs = await bed.LogTextAsync(spec.Id);

        Assert.Equal(ContainerStatus.Stopped, state.Status);
        Assert.Equal(3, state.ExitCode);
        Assert.Contains("Stdout: to-out", logs);
        Assert.Contains("Stderr: to-err", logs);
    }

    [Fact]
    public async Task Logs_Follow_StreamsLinesAsPrinted_AndEndsWhenTheContainerExits()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec spec = bed.Spec("talker", "for i in 1 2 3; do echo line$i; sleep 0.3; done; echo bye >&2");
        await bed.CreateAndStartAsync(spec);

        var lines = new List<LogLine>();
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (LogLine line in bed.Runtime.LogsAsync(spec.Id, follow: true, cancellationToken: cts.Token))
        {
            lines.Add(line);
        }

        Assert.Equal(["line1", "line2", "line3", "bye"], lines.Select(l => l.Text));
        Assert.Equal(LogStream.Stderr, lines[^1].Stream);
        Assert.True(lines[2].Timestamp - lines[0].Timestamp >= TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task Logs_PastMaxSize_AreRotated_KeepingMaxFiles_AndReadWithoutAGap()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        const long MaxSize = 32 * 1024;
        ContainerSpec spec = bed.Spec("chatty", "echo started; exec sleep 600") with { Logs = new LogLimits(MaxSize, 3) };
        // The daemon's watch, started before the container exists (as a daemon's is), keeps each file conmon closes the
        // moment conmon starts a new one.
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Task rotating = bed.Runtime.KeepRotatingLogsAsync(stop.Token);
        await bed.CreateAndStartAsync(spec);
        string bundle = Path.Combine(bed.Options.ContainersDirectory, spec.Id);

        // A reader following from the start, as the stack page does.
        var followed = new List<string>();
        Task follow = Task.Run(async () =>
        {
            await foreach (LogLine line in bed.Runtime.LogsAsync(spec.Id, follow: true, cancellationToken: stop.Token))
            {
                lock (followed)
                {
                    followed.Add(line.Text);
                }
            }
        });

        // 8 chunks of 200 lines (~21 KB a chunk with conmon's timestamps): conmon starts a new file about every 1.5 chunks.
        // Each chunk is written into the container's stdout by an exec.
        const int Chunks = 8, Lines = 200;
        for (int chunk = 1; chunk <= Chunks; chunk++)
        {
            ExecResult wrote = await bed.Runtime.ExecAsync(spec.Id, ["/bin/sh", "-c",
                $"i=0; while [ $i -lt {Lines} ]; do echo \"chunk {chunk} line $i .................................\"; i=$((i+1)); done > /proc/1/fd/1"], Timeout);
            Assert.True(wrote.Succeeded, wrote.Stderr);
            string last = $"chunk {chunk} line {Lines - 1} ";
            await Poll.UntilAsync(() => { lock (followed) { return Task.FromResult(followed.Any(l => l.StartsWith(last, StringComparison.Ordinal))); } },
                Timeout, () => $"the follower never saw '{last}'");
            if (chunk == 2)
            {
                // One switch to a new file so far (~42 KB written, max-file 3): nothing may be gone yet, not even the
                // first file conmon wrote, which the watch must have kept from the container's start.
                await KeptAsync();
                var early = new List<string>();
                await foreach (LogLine line in bed.Runtime.LogsAsync(spec.Id, follow: false))
                {
                    early.Add(line.Text);
                }
                Assert.Equal("started", early[0]);
                Assert.Equal(1 + 2 * Lines, early.Count);
            }
        }
        await KeptAsync();
        Assert.False(rotating.IsCompleted, $"the rotation watch ended: {rotating.Exception}");

        // Bounded: the current file and at most max-file - 1 rotated ones, none past max-size.
        string[] files = [.. Directory.GetFiles(bundle, RuncRuntime.LogFileName + "*").Where(f => !f.EndsWith(".keep", StringComparison.Ordinal)).Order()];
        Assert.Equal(["ctr.log", "ctr.log.1", "ctr.log.2"], files.Select(Path.GetFileName));
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, MaxSize));

        // The watch has kept the last file conmon closed: the kept link is the current file again.
        Task KeptAsync()
        {
            string current = Path.Combine(bundle, RuncRuntime.LogFileName);
            return Poll.UntilAsync(() => Task.FromResult(RuncRuntime.Inode(current + ".keep") == RuncRuntime.Inode(current)),
                Timeout, () => "the last file conmon closed was not kept (ctr.log.keep is not the current ctr.log)");
        }

        // Read back: a gapless tail of what was written, ending with the last line; the oldest lines are gone.
        var read = new List<string>();
        await foreach (LogLine line in bed.Runtime.LogsAsync(spec.Id, follow: false))
        {
            read.Add(line.Text);
        }
        (int Chunk, int Line)[] numbered = [.. read.Where(l => l.StartsWith("chunk ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')).Select(p => (int.Parse(p[1]), int.Parse(p[3])))];
        Assert.Equal((Chunks, Lines - 1), numbered[^1]);
        Assert.True(numbered[0].Chunk > 1, $"nothing was dropped: the log still starts at chunk {numbered[0].Chunk}");
        for (int i = 1; i < numbered.Length; i++)
        {
            int expected = (numbered[i - 1].Chunk - 1) * Lines + numbered[i - 1].Line + 1;
            Assert.True((numbered[i].Chunk - 1) * Lines + numbered[i].Line == expected, $"a gap after {numbered[i - 1]}: next is {numbered[i]}");
        }

        // A tail reads back from the end, across files: the last 250 lines are chunk 7's last 50 and chunk 8.
        Task<string[]> TailAsync(int lines) => bed.TailAsync(spec.Id, lines, text => text[..(text.IndexOf(" ..", StringComparison.Ordinal) + 1)]);
        Assert.Equal(Enumerable.Range((Chunks - 1) * Lines - 50, 250).Select(n => $"chunk {n / Lines + 1} line {n % Lines} "), await TailAsync(250));
        Assert.Empty(await TailAsync(0));
        Assert.Equal(read.Count, (await TailAsync(100_000)).Length);

        // The follower saw every line once, in order, across the switches to new files.
        stop.Cancel();
        await follow.ContinueWith(_ => { }, TaskScheduler.Default);
        await rotating.ContinueWith(_ => { }, TaskScheduler.Default);
        string[] chunkLines = [.. followed.Where(l => l.StartsWith("chunk ", StringComparison.Ordinal))];
        Assert.Equal(Chunks * Lines, chunkLines.Length);
        Assert.Equal(Enumerable.Range(0, Chunks * Lines).Select(n => $"chunk {n / Lines + 1} line {n % Lines} "),
            chunkLines.Select(l => l[..(l.IndexOf(" ..", StringComparison.Ordinal) + 1)]));
    }

    [Fact]
    public async Task Logs_Tail_CountsLinesNotRecords_ALongLineSplitByConmonIsOneLine()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        // 30,000 characters on one line: conmon reads 8 KiB at a time and records it as partial (P) records and a final (F) one.
        ContainerSpec spec = bed.Spec("longline", "echo first; head -c 30000 /dev/zero | tr '\\0' x; echo; echo last");
        await bed.RunToExitAsync(spec, Timeout);
        string bundleLog = Path.Combine(bed.Options.ContainersDirectory, spec.Id, RuncRuntime.LogFileName);
        Assert.Contains(" P ", await File.ReadAllTextAsync(bundleLog));

        Task<string[]> TailAsync(int lines) => bed.TailAsync(spec.Id, lines, text => text.Length > 20 ? $"x*{text.Length}" : text);
        Assert.Equal(["last"], await TailAsync(1));
        Assert.Equal(["x*30000", "last"], await TailAsync(2));
        Assert.Equal(["first", "x*30000", "last"], await TailAsync(3));
        Assert.Equal(["first", "x*30000", "last"], await TailAsync(10));
    }

    [Fact]
    public async Task InspectMany_RunningExitedAndMissing_InOrder_AsOneByOne()
    {
        // Several containers are read with one `runc list`: each must come back as `runc state` reports it alone.
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec running = bed.Spec("many-run", "exec sleep 600");
        await bed.CreateAndStartAsync(running);
        ContainerSpec exited = bed.Spec("many-exit", "exit 5");
        await bed.RunToExitAsync(exited, Timeout);
        string missing = running.Id + "-missing";

        IReadOnlyList<ContainerState?> states = await bed.Runtime.InspectAsync([exited.Id, missing, running.Id]);
        var runc = await RuncStateAsync(bed, running.Id);

        Assert.Equal(3, states.Count);
        Assert.Equal((exited.Id, ContainerStatus.Stopped, (int?)5), (states[0]!.Id, states[0]!.Status, states[0]!.ExitCode));
        Assert.Null(states[1]);
        AssertSame(runc, states[2]!);
        Assert.Empty(await bed.Runtime.InspectAsync([]));
    }

    [Fact]
    public async Task StateFromRuncFiles_OnlyWhileRunning_AsRuncStateReportsIt()
    {
        // A running container's state is read from runc's own files (no process); anything else must be left to runc.
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec spec = bed.Spec("files", "exec sleep 600") with
        {
            Labels = new Dictionary<string, string> { ["appliance.stack"] = "demo", ["appliance.service"] = "a=b" },
        };
        string Runc(string verb) => $"{bed.Options.RuncPath} --root {bed.Options.RuncRoot} {verb} {spec.Id}";

        await bed.Runtime.CreateAsync(spec);
        ContainerState? created = bed.Runtime.RunningStateFromFiles(spec.Id);
        await bed.Runtime.StartAsync(spec.Id);
        ContainerState running = bed.Runtime.RunningStateFromFiles(spec.Id)!;
        var runc = await RuncStateAsync(bed, spec.Id);
        await Command.CheckAsync("sh", "-c", Runc("pause"));
        ContainerState? paused = bed.Runtime.RunningStateFromFiles(spec.Id);
        ContainerStatus? pausedByRunc = (await bed.Runtime.InspectAsync(spec.Id))?.Status;
        await Command.CheckAsync("sh", "-c", Runc("resume"));
        ContainerState? resumed = bed.Runtime.RunningStateFromFiles(spec.Id);

        // The same state file naming the running pid with another start time: a pid reused by another process.
        string fake = Path.Combine(bed.Options.RuncRoot, spec.Id + "-reused");
        Directory.CreateDirectory(fake);
        ContainerState? reused;
        try
        {
            string json = await File.ReadAllTextAsync(Path.Combine(bed.Options.RuncRoot, spec.Id, "state.json"));
            string start = JsonDocument.Parse(json).RootElement.GetProperty("init_process_start").GetRawText();
            await File.WriteAllTextAsync(Path.Combine(fake, "state.json"), json
                .Replace($"\"id\":\"{spec.Id}\"", $"\"id\":\"{spec.Id}-reused\"")
                .Replace($"\"init_process_start\":{start}", $"\"init_process_start\":{ulong.Parse(start) + 1}"));
            reused = bed.Runtime.RunningStateFromFiles(spec.Id + "-reused");
        }
        finally
        {
            Directory.Delete(fake, recursive: true);
        }
        await bed.Runtime.StopAsync(spec.Id, TimeSpan.FromSeconds(5));
        ContainerState? stopped = bed.Runtime.RunningStateFromFiles(spec.Id);

        Assert.Null(created);
        AssertSame(runc, running);
        Assert.Equal("demo", running.Labels["appliance.stack"]);
        Assert.Equal("a=b", running.Labels["appliance.service"]);
        Assert.Null(paused);
        Assert.Equal(ContainerStatus.Paused, pausedByRunc);
        Assert.NotNull(resumed);
        Assert.Equal(running, resumed with { Labels = running.Labels });
        Assert.Equal(running.Labels, resumed.Labels);
        Assert.Null(reused);
        Assert.Null(stopped);
        Assert.Null(bed.Runtime.RunningStateFromFiles(spec.Id + "-missing"));
    }

    /// <summary>What `runc state` itself prints for the container (run here, not through the runtime), as the fields the runtime reports.</summary>
    private static async Task<(string Status, int Pid, DateTimeOffset Created, string Bundle, Dictionary<string, string> Annotations)> RuncStateAsync(
        RuntimeTestBed bed, string id)
    {
        CommandResult runc = await Command.CheckAsync(bed.Options.RuncPath, "--root", bed.Options.RuncRoot, "state", id);
        using var doc = JsonDocument.Parse(runc.Stdout);
        JsonElement e = doc.RootElement;
        return (e.GetProperty("status").GetString()!, e.GetProperty("pid").GetInt32(), DateTimeOffset.Parse(e.GetProperty("created").GetString()!),
            e.GetProperty("bundle").GetString()!,
            e.TryGetProperty("annotations", out JsonElement a) ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!) : []);
    }

    private static void AssertSame((string Status, int Pid, DateTimeOffset Created, string Bundle, Dictionary<string, string> Annotations) runc, ContainerState state)
    {
        Assert.Equal((runc.Status, runc.Pid, runc.Created, runc.Bundle), (state.Status.ToString().ToLowerInvariant(), state.Pid, state.Created, state.Bundle));
        Assert.Equal(runc.Annotations, state.Labels);
    }

    [Fact]
    public async Task Exec_InRunningContainer_ReturnsExitCodeAndOutput()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec spec = bed.Spec("exec", "exec sleep 600") with
        {
            Process = bed.Spec("exec", "exec sleep 600").Process with { Env = ["PATH=/bin", "GREETING=hello", $"{TestPrefix.EnvironmentVariable}={bed.Box.Prefix}"] },
        };
        await bed.CreateAndStartAsync(spec);

        ExecResult ok = await bed.Runtime.ExecAsync(spec.Id, ["sh", "-c", "echo $GREETING; echo oops >&2; exit 7"], Timeout);
        ExecResult slow = await bed.Runtime.ExecAsync(spec.Id, ["sleep", "30"], TimeSpan.FromMilliseconds(500));

        Assert.Equal(7, ok.ExitCode);
        Assert.Equal("hello\n", ok.Stdout);
        Assert.Equal("oops\n", ok.Stderr);
        Assert.True(slow.TimedOut);
        ExecResult ps = await bed.Runtime.ExecAsync(spec.Id, ["ps"], Timeout);
        Assert.DoesNotContain("sleep 30", ps.Stdout);
    }

    [Fact]
    public async Task Exec_LeavesTheContainersDirAlone_AndItsPidFileIsGone()
    {
        // The daemon watches the containers dir (logs, exits) with inotify: an exec health check every second must not wake
        // those watches or write to the state disk. runc's pid file of the command lives in the run dir and is deleted.
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec spec = bed.Spec("quiet", "exec sleep 600");
        await bed.CreateAndStartAsync(spec);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var watcher = new FileSystemWatcher(bed.Options.ContainersDirectory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite,
        };
        watcher.Created += (_, e) => seen.Enqueue(e.FullPath);
        watcher.Changed += (_, e) => seen.Enqueue(e.FullPath);
        watcher.Deleted += (_, e) => seen.Enqueue(e.FullPath);
        watcher.Renamed += (_, e) => seen.Enqueue(e.FullPath);
        watcher.EnableRaisingEvents = true;

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await bed.Runtime.ExecAsync(spec.Id, ["true"], Timeout)).ExitCode);
        }
        // Events arrive in order: once this one is seen, any the execs caused were seen before it.
        string sentinel = Path.Combine(bed.Options.ContainersDirectory, "sentinel");
        await File.WriteAllTextAsync(sentinel, "");
        await Poll.UntilAsync(() => Task.FromResult(seen.Contains(sentinel)), Timeout, () => "the watch never saw the sentinel");

        Assert.Equal([sentinel], seen.Distinct());
        Assert.Empty(Directory.EnumerateFileSystemEntries(bed.Options.ExecDirectory));
    }

    [Fact]
    public async Task Stop_ProcessIgnoringSigterm_IsKilledAfterGracePeriod()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec spec = bed.Spec("stubborn", "trap '' TERM; echo ready; while true; do sleep 1; done");
        await bed.CreateAndStartAsync(spec);
        await Poll.UntilAsync(async () => (await bed.LogTextAsync(spec.Id)).Contains("ready"), Timeout, () => "never ready");

        var watch = Stopwatch.StartNew();
        ContainerState stopped = await bed.Runtime.StopAsync(spec.Id, TimeSpan.FromSeconds(1));
        watch.Stop();

        Assert.Equal(ContainerStatus.Stopped, stopped.Status);
        Assert.Equal(137, stopped.ExitCode);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Stop_ProcessHandlingSigterm_ExitsByItself()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec spec = bed.Spec("polite", "trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done");
        await bed.CreateAndStartAsync(spec);
        await Poll.UntilAsync(async () => (await bed.LogTextAsync(spec.Id)).Contains("ready"), Timeout, () => "never ready");

        ContainerState stopped = await bed.Runtime.StopAsync(spec.Id, TimeSpan.FromSeconds(30));

        Assert.Equal(0, stopped.ExitCode);
        Assert.Contains("bye", await bed.LogTextAsync(spec.Id));
    }

    [Fact]
    public async Task NewRuntimeInstance_SameRoots_FindsContainerStillRunning()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        ContainerSpec spec = bed.Spec("survivor", "exec sleep 600") with { Labels = new Dictionary<string, string> { ["appliance.stack"] = "demo" } };
        await bed.CreateAndStartAsync(spec);
        int conmonPid = int.Parse(await File.ReadAllTextAsync(Path.Combine(bed.Options.ContainersDirectory, spec.Id, "conmon.pid")));

        var fresh = new RuncRuntime(bed.Options);
        ContainerState? found = await fresh.InspectAsync(spec.Id);
        IReadOnlyList<ContainerState> all = await fresh.ListAsync();
        ExecResult exec = await fresh.ExecAsync(spec.Id, ["echo", "alive"], Timeout);

        Assert.Equal(ContainerStatus.Running, found!.Status);
        Assert.Equal("demo", found.Labels["appliance.stack"]);
        Assert.Contains(all, c => c.Id == spec.Id && c.IsRunning);
        Assert.Equal("alive\n", exec.Stdout);
        // conmon is a daemon in a session of its own, not a child of this process: killing us leaves it alone.
        Assert.NotEqual(Environment.ProcessId, ParentOf(conmonPid));
        Assert.NotEqual(SessionOf(Environment.ProcessId), SessionOf(conmonPid));
    }

    [Fact]
    public async Task Restart_ExitedContainer_RunsAgainFromItsBundle()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        string marker = Path.Combine(bed.Box.TempDir, "runs");
        Directory.CreateDirectory(marker);
        ContainerSpec spec = bed.Spec("again", "echo run >> /data/runs; if [ $(wc -l < /data/runs) -ge 2 ]; then exec sleep 600; fi; exit 4") with
        {
            Mounts = [new ContainerMount(MountKind.Bind, marker, "/data")],
        };
        await bed.CreateAndStartAsync(spec);
        ContainerState? first = null;
        await Poll.UntilAsync(async () => (first = await bed.Runtime.InspectAsync(spec.Id))?.ExitCode is not null, Timeout, () => $"never exited: {first}");

        await bed.Runtime.RestartAsync(spec.Id, TimeSpan.FromSeconds(1));
        ContainerState? second = null;
        // The second run finds two lines and stays up.
        await Poll.UntilAsync(async () => File.ReadAllLines(Path.Combine(marker, "runs")).Length == 2
            && (second = await bed.Runtime.InspectAsync(spec.Id))?.IsRunning == true, Timeout, () => $"not running again: {second}");

        Assert.Equal(4, first!.ExitCode);
        Assert.Null(second!.ExitCode);
    }

    [Fact]
    public async Task Remove_RunningContainer_LeavesNothingBehind()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        string netns = await bed.Box.CreateNamespaceFileAsync(bed.Box.Prefix + "-gone");
        ContainerSpec spec = bed.Spec("gone", "exec sleep 600", netns) with
        {
            Limits = new ResourceLimits { MemoryBytes = 64 << 20, Cpus = 0.5, Pids = 64 },
            Mounts = [new ContainerMount(MountKind.Tmpfs, "", "/scratch")],
        };
        await bed.CreateAndStartAsync(spec);
        ContainerState running = (await bed.Runtime.InspectAsync(spec.Id))!;
        int conmonPid = int.Parse(await File.ReadAllTextAsync(Path.Combine(bed.Options.ContainersDirectory, spec.Id, "conmon.pid")));
        string memoryLimit = await File.ReadAllTextAsync(CgroupFile(running.Pid, "memory", "memory.limit_in_bytes"));

        await bed.Runtime.RemoveAsync(spec.Id);

        Assert.Equal((64 << 20).ToString(), memoryLimit.Trim());
        Assert.Null(await bed.Runtime.InspectAsync(spec.Id));
        Assert.Empty(Directory.EnumerateFileSystemEntries(bed.Options.RuncRoot));
        Assert.False(Directory.Exists(Path.Combine(bed.Options.ContainersDirectory, spec.Id)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(bed.Options.SocketDirectory));
        Assert.False(IsRunning(running.Pid));
        Assert.False(IsRunning(conmonPid));
        Assert.DoesNotContain(await File.ReadAllLinesAsync("/proc/self/mountinfo"), l => l.Contains(bed.Options.StateDirectory));
        Assert.Empty(CgroupDirsNamed(spec.Id));
    }

    [Fact]
    public async Task Create_UnsafeBindMountAndUnknownCapability_ReportsEveryProblem()
    {
        await using RuntimeTestBed bed = await RuntimeTestBed.CreateAsync();
        string escape = Path.Combine(bed.Box.TempDir, "escape");
        File.CreateSymbolicLink(escape, "/etc");
        ContainerSpec spec = bed.Spec("unsafe", "true") with
        {
            Mounts =
            [
                new ContainerMount(MountKind.Bind, escape, "/data"),
                new ContainerMount(MountKind.Bind, bed.Box.TempDir + "/../etc", "/x"),
                new ContainerMount(MountKind.Bind, "/", "/host"),
            ],
            CapAdd = ["NET_ADMIN", "FLY"],
        };

        var error = await Assert.ThrowsAsync<InvalidContainerSpecException>(() => bed.Runtime.CreateAsync(spec));

        Assert.Equal(4, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("resolves to '/etc'"));
        Assert.Contains(error.Problems, p => p.Contains("without '..'"));
        Assert.Contains(error.Problems, p => p.Contains("'FLY'"));
        Assert.Null(await bed.Runtime.InspectAsync(spec.Id));
    }

    private static string CgroupFile(int pid, string controller, string file)
    {
        string line = File.ReadAllLines($"/proc/{pid}/cgroup").First(l => l.Split(':')[1].Split(',').Contains(controller));
        return Path.Combine("/sys/fs/cgroup", controller) + line.Split(':', 3)[2] + "/" + file;
    }

    private static IEnumerable<string> CgroupDirsNamed(string name) =>
        Directory.EnumerateDirectories("/sys/fs/cgroup")
            .SelectMany(controller => Enumerable.Repeat(controller, 1).Concat(SafeSubdirs(controller)))
            .Where(d => Path.GetFileName(d) == name);

    private static IEnumerable<string> SafeSubdirs(string dir)
    {
        try
        {
            return Directory.EnumerateDirectories(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 4 }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            char state = stat[stat.LastIndexOf(')') + 2];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int ParentOf(int pid) => int.Parse(StatFields(pid)[1]);

    private static int SessionOf(int pid) => int.Parse(StatFields(pid)[3]);

    /// <summary>Fields after "pid (comm)": state, ppid, pgrp, session, ...</summary>
    private static string[] StatFields(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }
}
