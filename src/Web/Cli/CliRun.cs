namespace Appliance.Web.Cli;

/// <summary>Runs a CLI verb against the daemon and turns its failures into one line on stderr and exit code 1.</summary>
internal static class CliRun
{
    public static async Task<int> WithDaemonAsync(string? socketPath, Func<DaemonClient, Task<int>> verb)
    {
        using var client = new DaemonClient(socketPath);
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
