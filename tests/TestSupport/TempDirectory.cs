namespace Appliance.TestSupport;

/// <summary>A fresh directory under the system temp dir, named with a new test prefix; deleted with all it holds on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    private TempDirectory(string path) => Path = path;

    public string Path { get; }

    /// <summary>Creates /tmp/PREFIX-<paramref name="suffix"/>.</summary>
    public static TempDirectory Create(string suffix)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), TestPrefix.New() + "-" + suffix);
        Directory.CreateDirectory(path);
        return new TempDirectory(path);
    }

    public void Dispose()
    {
        Mounts.DetachUnder(Path);
        Directory.Delete(Path, recursive: true);
    }
}
