using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/Appliance.Bench -- --list` shows every benchmark.
// Micro benchmarks run under BenchmarkDotNet; whole-operation comparisons against the tool a
// user would otherwise use (ip, nft, skopeo, podman) are Stopwatch harnesses named `compare-*`.
if (args.Length > 0 && Appliance.Bench.Comparisons.TryRun(args))
{
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(Appliance.Bench.Comparisons).Assembly).Run(args);
return 0;
