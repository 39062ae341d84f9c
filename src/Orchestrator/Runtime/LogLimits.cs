namespace Appliance.Orchestrator.Runtime;

/// <summary>
/// How much of a container's output is kept, as Compose's <c>logging.options</c>: files of at most
/// <paramref name="MaxSizeBytes"/> (<c>max-size</c>), <paramref name="MaxFiles"/> of them counting the current one
/// (<c>max-file</c>). A box that runs for months never fills its disk with logs.
/// </summary>
public sealed record LogLimits(long MaxSizeBytes, int MaxFiles)
{
    /// <summary>10 MiB x 3 files: at most 30 MiB per container when the stack file says nothing.</summary>
    public static LogLimits Default { get; } = new(10L * 1024 * 1024, 3);

    /// <summary>Smallest max-size accepted (conmon starts a new file at it; smaller would rotate at every few lines).</summary>
    public const long MinSizeBytes = 16 * 1024;

    public const int MaxMaxFiles = 100;

    internal string Serialize() => $"{MaxSizeBytes} {MaxFiles}\n";

    internal static LogLimits Parse(string? text)
    {
        string[] parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2 && long.TryParse(parts[0], out long size) && int.TryParse(parts[1], out int files)
            && size >= MinSizeBytes && files is >= 1 and <= MaxMaxFiles
                ? new LogLimits(size, files)
                : Default;
    }
}
