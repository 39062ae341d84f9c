namespace Appliance.Web.Cli;

/// <summary>Runs a CLI verb against the daemon and turns its failures into one line on stderr and exit code 1.</summary>
internal static class CliRun
{
    public static Task<int> WithDaemonAsync(string? socketPath, Func<DaemonClient, Task<int>> verb) => WithDaemonAsync(new DaemonClient(socketPath), verb);

    /// <summary>As above with a client already made; disposes it.</summary>
    public static async Task<int> WithDaemonAsync(DaemonClient daemon, Func<DaemonClient, Task<int>> verb)
    {
        using DaemonClient client = daemon;
        try
        {
            return await verb(client);
        }
        catch (DaemonClientException e)
        {
            Console.Error.WriteLine($"appliance: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }
}
