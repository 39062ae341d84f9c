using System.Text;
using Appliance.Orchestrator.Stacks;

namespace Appliance.Orchestrator.Tests.Stacks;

/// <summary>
/// Thousands of mutated stack files (fixed seed): every load ends in a stack or in positioned errors,
/// never in an exception, an internal error or a hang.
/// </summary>
public sealed class StackFuzzTests
{
    private const int Iterations = 2000;
    private static readonly TimeSpan PerFileLimit = TimeSpan.FromSeconds(10);

    private static List<(string Path, string Text)> Seeds()
    {
        string root = StackTestHelpers.RepoRoot;
        IEnumerable<string> files = Directory.GetFiles(Path.Combine(root, "stacks"), "stack.yaml", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(root, "tests", "Orchestrator.Tests", "Stacks", "Fixtures"), "docker-compose.yml", SearchOption.AllDirectories))
            .Append(Path.Combine(root, "tests", "stacks", "gitlab-probe", "stack.yaml"));
        return [.. files.Order(StringComparer.Ordinal).Select(f => (f, File.ReadAllText(f)))];
    }

    [Fact]
    public void MutatedStacks_EndInAStackOrPositionedErrors()
    {
        var random = new Random(20261124);
        List<(string Path, string Text)> seeds = Seeds();
        int loaded = 0;
        int rejected = 0;
        for (int i = 0; i < Iterations; i++)
        {
            (string path, string text) = seeds[random.Next(seeds.Count)];
            int mutations = 1 + random.Next(3);
            for (int m = 0; m < mutations; m++)
            {
                text = Mutate(text, random);
            }
            StackLoadResult result = LoadWithin(text, path, i);
            foreach (StackDiagnostic d in result.Diagnostics)
            {
                Assert.True(d.Line >= 1 && d.Column >= 1, $"iteration {i}: unpositioned diagnostic {d}\n--- input ---\n{text}");
                Assert.False(d.Message.Contains("internal error", StringComparison.Ordinal), $"iteration {i}: {d}\n--- input ---\n{text[..Math.Min(3000, text.Length)]}");
                Assert.False(string.IsNullOrWhiteSpace(d.Message));
            }
            if (result.HasErrors)
            {
                Assert.Null(result.Stack);
                rejected++;
            }
            else
            {
                Assert.NotNull(result.Stack);
                loaded++;
            }
        }
        // Both outcomes must occur, or the mutations are not exercising anything.
        Assert.True(loaded > Iterations / 20, $"only {loaded} mutated stacks loaded");
        Assert.True(rejected > Iterations / 4, $"only {rejected} mutated stacks were rejected");
    }

    [Fact]
    public void AliasBombsAndDeepNesting_AreRefusedQuickly()
    {
        string[] inputs =
        [
            BillionLaughs(12, 12),
            BillionLaughs(3, 40),
            "services:\n  web:\n    image: nginx\n    command: " + new string('[', 5000) + new string(']', 5000) + "\n",
            "services:\n" + string.Concat(Enumerable.Range(0, 3000).Select(d => new string(' ', 2 * (d + 1)) + "k" + d + ":\n")),
            "x: " + new string('{', 20000) + "\n",
            "a: &a\n  b: &b\n    <<: *a\n",
            "services:\n  web:\n    image: \"" + new string('x', 1_100_000) + "\"\n",
        ];
        for (int i = 0; i < inputs.Length; i++)
        {
            StackLoadResult result = LoadWithin(inputs[i], StackTestHelpers.File, i);
            Assert.True(result.HasErrors, $"input {i} should be refused");
            Assert.All(result.Diagnostics, d => Assert.True(d.Line >= 1 && d.Column >= 1));
            Assert.DoesNotContain(result.Diagnostics, d => d.Message.Contains("internal error", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void LongDependencyChain_LoadsInOrder_WithoutDeepRecursion()
    {
        var sb = new StringBuilder("services:\n");
        const int count = 4_000;
        for (int i = count - 1; i >= 0; i--)
        {
            sb.Append($"  s{i}:\n    image: x\n");
            if (i > 0)
            {
                sb.Append($"    depends_on: [s{i - 1}]\n");
            }
        }
        // On a thread with a 256 KB stack: a recursion per dependency would overflow (and kill the process).
        StackLoadResult? result = null;
        var thread = new Thread(() => result = StackLoader.LoadFromText(sb.ToString(), StackTestHelpers.File), maxStackSize: 256 * 1024);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "loading the chain did not finish");
        StackLoadResult loaded = result!;
        loaded.AssertValid();
        Assert.Equal("s0", loaded.Stack!.Services[0].Name);
        Assert.Equal($"s{count - 1}", loaded.Stack.Services[^1].Name);
    }

    private static string BillionLaughs(int width, int depth)
    {
        var sb = new StringBuilder("x-0: &a0 [" + string.Join(",", Enumerable.Repeat("\"lol\"", width)) + "]\n");
        for (int d = 1; d < depth; d++)
        {
            sb.Append($"x-{d}: &a{d} [").Append(string.Join(",", Enumerable.Repeat($"*a{d - 1}", width))).Append("]\n");
        }
        return sb.Append("services:\n  web:\n    image: nginx\n").ToString();
    }

    /// <summary>Loads on a worker and fails the test (instead of hanging it) if one file takes too long.</summary>
    private static StackLoadResult LoadWithin(string text, string path, int iteration)
    {
        using var cts = new CancellationTokenSource();
        Task<StackLoadResult> task = Task.Run(() => StackLoader.LoadFromText(text, path), cts.Token);
        if (!task.Wait(PerFileLimit))
        {
            Assert.Fail($"iteration {iteration}: loading took longer than {PerFileLimit.TotalSeconds} s\n--- input (first 2000 chars) ---\n{text[..Math.Min(2000, text.Length)]}");
        }
        return task.Result;
    }

    private static readonly string[] Noise =
    [
        "\t", ":", "- ", "&x ", "*x", "<<: *x", "{", "}", "[", "]", "\"", "'", "|", ">", "#", "!!binary ", "!tag ", "%YAML 1.2\n",
        "---\n", "...\n", "${", "$$", "${X:?boom}", "\0", "\u00e9", "\ud83d\ude00", "\r\n", "? ", ",", "@", "`", "~", "null", "\u2028",
        "0x1F", "1e309", "-99999999999999999999", "8080:80", "70000:80", "1m30s", "on-failure:", "service_healthy",
    ];

    private static string Mutate(string text, Random random)
    {
        List<string> lines = [.. text.Split('\n')];
        int at = random.Next(Math.Max(1, lines.Count));
        switch (random.Next(12))
        {
            case 0 when lines.Count > 1:
                lines.RemoveAt(at);
                break;
            case 1:
                lines.Insert(at, lines[at]);
                break;
            case 2:
                lines[at] = new string(' ', random.Next(1, 6)) + lines[at];
                break;
            case 3:
                lines[at] = lines[at].TrimStart().Length < lines[at].Length ? lines[at][Math.Min(lines[at].Length, random.Next(1, 4))..] : lines[at];
                break;
            case 4:
                return Insert(text, Noise[random.Next(Noise.Length)], random);
            case 5:
                var bytes = new char[random.Next(1, 12)];
                for (int i = 0; i < bytes.Length; i++)
                {
                    bytes[i] = (char)random.Next(0, 0x3000);
                }
                return Insert(text, new string(bytes), random);
            case 6:
                return Insert(text, new string((char)('0' + random.Next(10)), random.Next(20, 20_000)), random);
            case 7:
                int depth = random.Next(10, 400);
                return Insert(text, new string('[', depth) + new string(']', random.Next(2) == 0 ? depth : 0), random);
            case 8:
                return "x-bomb-0: &b0 [a,a,a,a,a,a,a,a]\nx-bomb-1: &b1 [*b0,*b0,*b0,*b0,*b0,*b0,*b0,*b0]\nx-bomb-2: &b2 [*b1,*b1,*b1,*b1,*b1,*b1,*b1,*b1]\n"
                    + "x-bomb-3: &b3 [*b2,*b2,*b2,*b2,*b2,*b2,*b2,*b2]\nx-bomb-4: &b4 [*b3,*b3,*b3,*b3,*b3,*b3,*b3,*b3]\nx-bomb-5: &b5 [*b4,*b4,*b4,*b4,*b4,*b4,*b4,*b4]\n" + text;
            case 9 when lines.Count > 1:
                int other = random.Next(lines.Count);
                (lines[at], lines[other]) = (lines[other], lines[at]);
                break;
            case 10:
                return text[..random.Next(text.Length + 1)];
            default:
                int colon = lines[at].IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                {
                    lines[at] = lines[at][..(colon + 2)] + Noise[random.Next(Noise.Length)];
                }
                break;
        }
        return string.Join('\n', lines);
    }

    private static string Insert(string text, string what, Random random) => text.Insert(random.Next(text.Length + 1), what);
}
