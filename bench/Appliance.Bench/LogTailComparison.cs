using System.Diagnostics;
using System.Globalization;
using System.Text;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;

namespace Appliance.Bench;

/// <summary>
/// `compare-log-tail`: the stack page's last 200 lines of a container that logged for a long time (its 3 files of 10 MiB full,
/// ~270,000 lines) against GNU `tail -n 200` of the current file (one process, what a user would type), and against reading
/// the whole history (what the page did before tails were read from the end). Files are written in conmon's k8s format into
/// a throwaway state dir under /tmp; no container runs.
/// </summary>
public sealed class LogTailComparison : IComparison
{
    public string Name => "compare-log-tail";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        string root = Path.Combine(Path.GetTempPath(), TestPrefix.New() + "-bench-logs");
        try
        {
            var runtime = new RuncRuntime(new RuntimeOptions { StateDirectory = root, RunDirectory = Path.Combine(root, "run") });
            string bundle = Path.Combine(root, "containers", "c1");
            Directory.CreateDirectory(bundle);
            int lines = 0;
            foreach (string file in new[] { "ctr.log.2", "ctr.log.1", "ctr.log" })
            {
                lines += WriteLog(Path.Combine(bundle, file), 10L * 1024 * 1024, lines);
            }
            Console.WriteLine($"3 files of 10 MiB, {lines:N0} lines");

            async Task<int> TailAsync(int? tail)
            {
                int n = 0;
                await foreach (LogLine _ in runtime.LogsAsync("c1", follow: false, tail, cancellationToken))
                {
                    n++;
                }
                return n;
            }
            double appliance = await MedianAsync(21, async () => Check(await TailAsync(200), 200));
            double gnu = await MedianAsync(21, async () =>
                Check((await Command.CheckAsync("tail", "-n", "200", Path.Combine(bundle, "ctr.log"))).Stdout.Count(c => c == '\n'), 200));
            double whole = await MedianAsync(5, async () => Check(await TailAsync(null), lines));

            Console.WriteLine("| what | median |");
            Console.WriteLine("|---|---|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Appliance `LogsAsync(tail: 200)` (rotated files included, parsed) | {appliance:0.00} ms |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| GNU `tail -n 200 ctr.log` (one process, the current file only, raw) | {gnu:0.00} ms |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Appliance, the whole history (before: the page read it all) | {whole:0.0} ms |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio Appliance / tail: {appliance / gnu:0.00}"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Lines of ~110 bytes as conmon writes them (timestamp, stream, F) until the file has about <paramref name="size"/> bytes.</summary>
    private static int WriteLog(string path, long size, int first)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        int n = 0;
        for (long written = 0; written < size; n++)
        {
            string line = string.Create(CultureInfo.InvariantCulture,
                $"2026-11-24T22:00:00.{n % 1_000_000_000:000000000}+00:00 stdout F Started GET \"/api/v4/projects/{first + n}\" for 192.168.50.10 at 2026-11-24");
            writer.Write(line);
            writer.Write('\n');
            written += line.Length + 1;
        }
        return n;
    }

    private static void Check(int got, int expected)
    {
        if (got != expected)
        {
            throw new InvalidOperationException($"read {got} lines, expected {expected}");
        }
    }

    private static async Task<double> MedianAsync(int rounds, Func<Task> run)
    {
        await run(); // warm-up
        var times = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            var sw = Stopwatch.StartNew();
            await run();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
