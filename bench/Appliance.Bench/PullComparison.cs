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
/// </summary>
public sealed class PullComparison : IComparison
{
    private const int Rounds = 5;

    public string Name => "compare-pull";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await using LocalRegistry registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { PushTestImages = false }, cancellationToken);
        await registry.PushLargeImageAsync(cancellationToken);
        string reference = registry.Reference(TestImages.BenchLarge);
        string work = Path.Combine(Path.GetTempPath(), registry.Prefix + "-bench");
        Directory.CreateDirectory(work);
        try
        {
            var appliance = new List<double>();
            var skopeo = new List<double>();
            long peakBefore = Process.GetCurrentProcess().PeakWorkingSet64;
            long size = 0;
            for (int round = 0; round < Rounds + 1; round++)
            {
                string store = Path.Combine(work, $"store{round}");
                var stopwatch = Stopwatch.StartNew();
                using (var images = new ImageStore(new ImageStoreOptions { Root = store }))
                {
                    Image image = await images.PullAsync(reference, cancellationToken: cancellationToken);
                    size = image.Size;
                }
                double a = stopwatch.Elapsed.TotalMilliseconds;
                Directory.Delete(store, recursive: true);

                string oci = Path.Combine(work, $"oci{round}");
                stopwatch.Restart();
                await Command.CheckAsync("skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
                    "docker://" + reference, $"oci:{oci}:bench");
                double s = stopwatch.Elapsed.TotalMilliseconds;
                Directory.Delete(oci, recursive: true);
                if (round > 0) // round 0 warms the JIT, the registry's and the kernel's caches
                {
                    appliance.Add(a);
                    skopeo.Add(s);
                }
            }
            double am = Median(appliance), sm = Median(skopeo);
            long peak = Process.GetCurrentProcess().PeakWorkingSet64;
            Console.WriteLine($"compare-pull: {TestImages.BenchLarge}, {size / 1e6:0} MB compressed in 5 layers, median of {Rounds} rounds, local docker-registry");
            Console.WriteLine();
            Console.WriteLine("| tool                                        | median   | min      | max      |");
            Console.WriteLine("|---------------------------------------------|----------|----------|----------|");
            Console.WriteLine($"| Appliance ImageStore.PullAsync (+ unpack)   | {am,6:0} ms | {appliance.Min(),6:0} ms | {appliance.Max(),6:0} ms |");
            Console.WriteLine($"| skopeo copy docker:// oci: (no unpack)      | {sm,6:0} ms | {skopeo.Min(),6:0} ms | {skopeo.Max(),6:0} ms |");
            Console.WriteLine();
            Console.WriteLine($"ratio Appliance / skopeo: {am / sm:0.00} (target <= 1.00)");
            Console.WriteLine($"peak working set of the bench process: {peak / 1e6:0} MB (before pulls {peakBefore / 1e6:0} MB)");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
