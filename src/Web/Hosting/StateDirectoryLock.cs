namespace Appliance.Web.Hosting;

/// <summary>
/// One daemon per state directory: an exclusive lock (flock through FileShare.None) on STATE_DIR/daemon.lock (and the pid in daemon.pid), held
/// for the life of the process and released by the kernel when it dies, also by SIGKILL.
/// </summary>
public sealed class StateDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private StateDirectoryLock(FileStream file) => _file = file;

    public static StateDirectoryLock Acquire(string stateDir)
    {
        string path = Path.Combine(stateDir, "daemon.lock");
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(Path.Combine(stateDir, "daemon.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new StateDirectoryLock(file);
        }
        catch (IOException e)
        {
            string holder = "";
            try
            {
                holder = File.ReadAllText(Path.Combine(stateDir, "daemon.pid")).Trim();
            }
            catch (IOException)
            {
            }
            throw new DaemonStartException($"another Appliance daemon{(holder.Length > 0 ? $" (pid {holder})" : "")} already uses the state directory " +
                $"'{stateDir}' ({e.Message}); stop it first (`systemctl stop appliance`) or pass a different --state-dir");
        }
    }

    public void Dispose() => _file.Dispose();
}
