using System.Text.Json;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// Registry logins kept by Appliance (never in stack files): one JSON file, mode 0600, under the
/// state directory, keyed by registry host ("docker.io", "127.0.0.1:5000").
/// </summary>
public sealed class RegistryCredentialStore
{
    private readonly string _path;
    private readonly Lock _gate = new();

    public RegistryCredentialStore(string path)
    {
        _path = path;
    }

    public RegistryCredential? Find(string registry)
    {
        lock (_gate)
        {
            return Load().TryGetValue(registry, out RegistryCredential? credential) ? credential : null;
        }
    }

    public void Save(string registry, RegistryCredential credential)
    {
        lock (_gate)
        {
            Dictionary<string, RegistryCredential> all = Load();
            all[registry] = credential;
            Write(all);
        }
    }

    public bool Remove(string registry)
    {
        lock (_gate)
        {
            Dictionary<string, RegistryCredential> all = Load();
            bool removed = all.Remove(registry);
            Write(all);
            return removed;
        }
    }

    private Dictionary<string, RegistryCredential> Load()
    {
        if (!File.Exists(_path))
        {
            return new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(_path), OrchestratorJson.Default.DictionaryStringRegistryCredential)
                ?? new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new ImageStorageException($"registry credentials file '{_path}' is not valid JSON ({e.Message}); fix or delete it and log in again");
        }
    }

    private void Write(Dictionary<string, RegistryCredential> all)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        string temp = _path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(file, all, OrchestratorJson.Default.DictionaryStringRegistryCredential);
        }
        File.Move(temp, _path, overwrite: true);
    }
}
