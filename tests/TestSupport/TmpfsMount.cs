namespace Appliance.TestSupport;

/// <summary>
/// A small tmpfs mounted at a test-prefixed path, to play a disk that fills up. Unmounted (lazily: a daemon may still hold
/// files there) and removed on dispose.
/// </summary>
public sealed class TmpfsMount : IAsyncDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public static async Task<TmpfsMount> CreateAsync(string path, int megabytes)
    {
        Directory.CreateDirectory(path);
        await Command.CheckAsync("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", path);
        return new TmpfsMount(path);
    }

    /// <summary>Takes space with a preallocated file (not sparse) until about <paramref name="freePercent"/> % is free.</summary>
    public void FillUntilFree(double freePercent, string name = "filler")
    {
        var drive = new DriveInfo(Path);
        long take = drive.AvailableFreeSpace - (long)(drive.TotalSize * freePercent / 100);
        if (take > 0)
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle _ = File.OpenHandle(System.IO.Path.Combine(Path, name), FileMode.Create, FileAccess.Write,
                preallocationSize: take);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Command.RunAsync("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
