using Appliance.Orchestrator.Stacks;
using BenchmarkDotNet.Attributes;

namespace Appliance.Bench.Stacks;

/// <summary>Parse + validate + resolve of stack files, warm, in process (<c>--filter *StackLoad*</c>).</summary>
[MemoryDiagnoser]
public class StackLoadBenchmarks
{
    private string _gitlab = "";
    private string _big = "";

    [GlobalSetup]
    public void Setup()
    {
        _gitlab = File.ReadAllText(StackFiles.GitlabPath);
        _big = StackFiles.Generate();
        if (StackLoader.LoadFromText(_gitlab, StackFiles.GitlabPath, StackFiles.GitlabVariables).Stack is null
            || StackLoader.LoadFromText(_big, "/srv/big/stack.yaml").Stack?.Services.Count != 200)
        {
            throw new InvalidOperationException("benchmark inputs do not load");
        }
    }

    [Benchmark(Description = "gitlab stack (3 services)")]
    public object Gitlab() => StackLoader.LoadFromText(_gitlab, StackFiles.GitlabPath, StackFiles.GitlabVariables);

    [Benchmark(Description = "generated stack (200 services)")]
    public object TwoHundredServices() => StackLoader.LoadFromText(_big, "/srv/big/stack.yaml");
}
