using System.Reflection;

namespace Appliance.Bench;

/// <summary>A whole-operation comparison against the tool a user would otherwise use.</summary>
public interface IComparison
{
    /// <summary>`compare-NAME` on the command line.</summary>
    string Name { get; }

    /// <summary>Runs both sides in this run and prints a table: Appliance, the peer tool, the ratio.</summary>
    Task RunAsync(CancellationToken cancellationToken = default);
}

/// <summary>Finds the <see cref="IComparison"/>s in this assembly and runs the one asked for.</summary>
public static class Comparisons
{
    private static IReadOnlyDictionary<string, Type> All() => typeof(Comparisons).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IComparison).IsAssignableFrom(t))
        .ToDictionary(t => ((IComparison)Activator.CreateInstance(t)!).Name, StringComparer.Ordinal);

    public static bool TryRun(string[] args)
    {
        if (args[0] == "--list-comparisons")
        {
            foreach (string name in All().Keys.Order())
            {
                Console.WriteLine(name);
            }
            return true;
        }
        if (!args[0].StartsWith("compare-", StringComparison.Ordinal))
        {
            return false;
        }
        IReadOnlyDictionary<string, Type> all = All();
        if (!all.TryGetValue(args[0], out Type? type))
        {
            Console.Error.WriteLine($"unknown comparison '{args[0]}'; known: {string.Join(", ", all.Keys.Order())}");
            Environment.ExitCode = 2;
            return true;
        }
        ((IComparison)Activator.CreateInstance(type)!).RunAsync().GetAwaiter().GetResult();
        return true;
    }
}
