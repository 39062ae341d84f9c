using System.Diagnostics;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Parsing;
using Appliance.Orchestrator.Stacks.Yaml;
using YamlDotNet.Serialization;

namespace Appliance.Bench.Stacks;

/// <summary>
/// <c>compare-stack-load</c>: Appliance's full load (positioned parse, validation, resolution) against
/// YamlDotNet's stock deserializer turning the same text into dictionaries (no positions, no checks),
/// which is what a loader without validation would do. Also the YAML tree alone.
/// </summary>
public sealed class StackLoadComparison : IComparison
{
    public string Name => "compare-stack-load";

    public Task RunAsync(CancellationToken cancellationToken = default)
    {
        string gitlab = File.ReadAllText(StackFiles.GitlabPath);
        string big = StackFiles.Generate();
        IDeserializer stock = new DeserializerBuilder().Build();
        Console.WriteLine("| input | Appliance load | YAML tree only | YamlDotNet stock deserialize | ratio (load / stock) | allocated per load |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach ((string name, string text, string file, IReadOnlyDictionary<string, string>? vars, int n) in new[]
        {
            ("gitlab (3 services)", gitlab, StackFiles.GitlabPath, StackFiles.GitlabVariables, 3000),
            ("generated (200 services)", big, "/srv/big/stack.yaml", (IReadOnlyDictionary<string, string>?)null, 60),
        })
        {
            double load = Measure(() => StackLoader.LoadFromText(text, file, vars), n, out long bytes);
            double tree = Measure(() => YamlTreeReader.Read(text, new DiagnosticBag(file)), n, out _);
            double baseline = Measure(() => stock.Deserialize<object>(text), n, out _);
            Console.WriteLine($"| {name} | {load:F3} ms | {tree:F3} ms | {baseline:F3} ms | {load / baseline:F2} | {bytes / 1024.0:F0} KB |");
        }
        return Task.CompletedTask;
    }

    private static double Measure(Func<object?> action, int iterations, out long bytesPerCall)
    {
        for (int i = 0; i < Math.Max(20, iterations / 10); i++)
        {
            action();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var best = double.MaxValue;
        // Best of 5 rounds: the machine is shared, the minimum is the least disturbed figure.
        for (int round = 0; round < 5; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++)
            {
                action();
            }
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds / iterations);
        }
        bytesPerCall = (GC.GetAllocatedBytesForCurrentThread() - before) / (5L * iterations);
        return best;
    }
}
