using System.Diagnostics;
using Appliance.Orchestrator.Images;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Bench;

/// <summary>
/// `compare-pull`: pull + unpack the ~130 MB, 5-layer bench-large image from a local
/// docker-registry with Appliance's image store, against `skopeo copy docker://… oci:…` of the
/// same image (download + verify + write, no unpack) in the same run. Every round starts from an
/// empty store / empty OCI dir. Reports the median of the rounds and Appliance's peak working set.
/// Nothing is deleted until every round is done: ext4 scans past recently deleted inodes when it
/// allocates new ones (`recently_deleted` in `find_inode_bit`), so deleting ~12,000 files just before
/// the next tool creates as many would make that tool pay for the previous one's cleanup.
/// </summary>
public sealed class PullComparison : IComparison
{
    private const int Rounds = 3;

    public string Name => "compare-pull";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await using LocalRegistry registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { PushTestImages = false }, cancellationToken);
        await registry.PushLargeImageAsync(cancellationToken);
        string reference = registry.Reference(TestImages.BenchLarge);
        string work = Path.Combine(Path.GetTempPath(), registry.Prefix + "-bench");
        Directory.CreateDirectory(work);
        var podmanRoots = new List<string>();
        try
        {
            var appliance = new List<double>();
            var skopeo = new List<double>();
            var umoci = new List<double>();
            var tar = new List<double>();
            var podman = new List<double>();
            var cpu = new Dictionary<string, List<double>> { ["a"] = new(), ["s"] = new(), ["u"] = new(), ["t"] = new(), ["p"] = new() };
            long peakBefore = Process.GetCurrentProcess().PeakWorkingSet64;
            long size = 0;
            for (int round = 0; round < Rounds + 1; round++)
            {
                string store = Path.Combine(work, $"store{round}");
                TimeSpan ownCpu = Process.GetCurrentProcess().TotalProcessorTime;
                var stopwatch = Stopwatch.StartNew();
                using (var images = new ImageStore(new ImageStoreOptions { Root = store }))
                {
                    Image image = await images.PullAsync(reference, cancellationToken: cancellationToken);
                    size = image.Size;
                }
                double a = stopwatch.Elapsed.TotalMilliseconds;
                double aCpu = (Process.GetCurrentProcess().TotalProcessorTime - ownCpu).TotalMilliseconds;
                double c0 = ChildrenCpuMs();

                string oci = Path.Combine(work, $"oci{round}");
                stopwatch.Restart();
                await Command.CheckAsync("skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
                    "docker://" + reference, $"oci:{oci}:bench");
                double s = stopwatch.Elapsed.TotalMilliseconds;
                double sCpu = ChildrenCpuMs() - c0;
                // the same download, then an unpack into a directory: what a user without a daemon does
                stopwatch.Restart();
                await Command.CheckAsync("umoci", "raw", "unpack", "--image", $"{oci}:bench", Path.Combine(work, $"umoci{round}"));
                double u = s + stopwatch.Elapsed.TotalMilliseconds;
                double uCpu = ChildrenCpuMs() - c0;
                // the floor of any unpack: GNU tar -xzf of the same layer blobs, one after the other (no whiteouts, no checks)
                string tarDir = Path.Combine(work, $"tar{round}");
                Directory.CreateDirectory(tarDir);
                double ct = ChildrenCpuMs();
                stopwatch.Restart();
                await Command.CheckAsync(["sh", "-c", "d=$1; shift; for b in \"$@\"; do tar -xzf \"$b\" -C \"$d\" || exit 1; done", "sh", tarDir,
                    .. LayerBlobs(oci)]);
                double t = s + stopwatch.Elapsed.TotalMilliseconds;
                double tCpu = sCpu + ChildrenCpuMs() - ct;

                // podman pull: download + unpack into its overlay storage, the same work as Appliance
                string podmanRoot = Path.Combine(work, $"podman{round}");
                podmanRoots.Add(podmanRoot);
                double c1 = ChildrenCpuMs();
                stopwatch.Restart();
                await Command.CheckAsync("podman", "--root", podmanRoot, "--runroot", podmanRoot + "-run", "--storage-driver", "overlay",
                    "--events-backend", "none", "pull", "--quiet", "--tls-verify=false", "docker://" + reference);
                double p = stopwatch.Elapsed.TotalMilliseconds;
                double pCpu = ChildrenCpuMs() - c1;

                if (round > 0) // round 0 warms the JIT, the registry's and the kernel's caches
                {
                    appliance.Add(a);
                    skopeo.Add(s);
                    umoci.Add(u);
                    tar.Add(t);
                    podman.Add(p);
                    cpu["a"].Add(aCpu);
                    cpu["s"].Add(sCpu);
                    cpu["u"].Add(uCpu);
                    cpu["t"].Add(tCpu);
                    cpu["p"].Add(pCpu);
                }
            }
            double am = Median(appliance), sm = Median(skopeo), um = Median(umoci), tm = Median(tar), pm = Median(podman);
            long peak = Process.GetCurrentProcess().PeakWorkingSet64;
            Console.WriteLine($"compare-pull: {TestImages.BenchLarge}, {size / 1e6:0} MB compressed in 5 layers, median of {Rounds} rounds, local docker-registry");
            Console.WriteLine();
            Console.WriteLine("| tool                                        | median wall | min      | max      | median CPU (user+sys) |");
            Console.WriteLine("|---------------------------------------------|-------------|----------|----------|-----------------------|");
            Console.WriteLine($"| Appliance ImageStore.PullAsync (+ unpack)   | {am,8:0} ms | {appliance.Min(),6:0} ms | {appliance.Max(),6:0} ms | {Median(cpu["a"]),8:0} ms |");
            Console.WriteLine($"| skopeo copy docker:// oci: (no unpack)      | {sm,8:0} ms | {skopeo.Min(),6:0} ms | {skopeo.Max(),6:0} ms | {Median(cpu["s"]),8:0} ms |");
            Console.WriteLine($"| skopeo copy + umoci raw unpack              | {um,8:0} ms | {umoci.Min(),6:0} ms | {umoci.Max(),6:0} ms | {Median(cpu["u"]),8:0} ms |");
            Console.WriteLine($"| skopeo copy + tar -xzf of each layer        | {tm,8:0} ms | {tar.Min(),6:0} ms | {tar.Max(),6:0} ms | {Median(cpu["t"]),8:0} ms |");
            Console.WriteLine($"| podman pull (overlay storage)               | {pm,8:0} ms | {podman.Min(),6:0} ms | {podman.Max(),6:0} ms | {Median(cpu["p"]),8:0} ms |");
            Console.WriteLine();
            Console.WriteLine($"ratio Appliance / skopeo copy: {am / sm:0.00} (target <= 1.00; skopeo does not unpack)");
            Console.WriteLine($"ratio Appliance / skopeo copy + umoci unpack: {am / um:0.00}");
            Console.WriteLine($"ratio Appliance / skopeo copy + tar -xzf: {am / tm:0.00}");
            Console.WriteLine($"ratio Appliance / podman pull: {am / pm:0.00} (CPU {Median(cpu["a"]) / Median(cpu["p"]):0.00})");
            Console.WriteLine($"peak working set of the bench process: {peak / 1e6:0} MB (before pulls {peakBefore / 1e6:0} MB)");
        }
        finally
        {
            foreach (string root in podmanRoots)
            {
                await RemovePodmanStorageAsync(root);
            }
            Mounts.DetachUnder(work); // the stores' layer images
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The layer blobs, in order, of the OCI layout's one image (index.json -> manifest -> layers).</summary>
    private static string[] LayerBlobs(string oci)
    {
        string Blob(string digest) => Path.Combine(oci, "blobs", "sha256", digest["sha256:".Length..]);
        using var index = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(oci, "index.json")));
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Blob(index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!)));
        return [.. manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => Blob(l.GetProperty("digest").GetString()!))];
    }

    /// <summary>podman's overlay driver may leave its storage mounted: unmount what is under it, then delete it.</summary>
    private static async Task RemovePodmanStorageAsync(string root)
    {
        foreach (string mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
                     .Where(m => m.StartsWith(root, StringComparison.Ordinal)).OrderByDescending(m => m.Length))
        {
            await Command.RunAsync("umount", "-l", mount);
        }
        foreach (string dir in new[] { root, root + "-run" })
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>CPU time of this process's reaped children (cutime + cstime of /proc/self/stat), in ms.</summary>
    private static double ChildrenCpuMs()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // after the command: state is field 3, cutime 16 and cstime 17 (1-based), in clock ticks (100 Hz)
        return (long.Parse(fields[13]) + long.Parse(fields[14])) * 10.0;
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
