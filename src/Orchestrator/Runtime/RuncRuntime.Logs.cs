using System.Runtime.CompilerServices;
using System.Text;

namespace Appliance.Orchestrator.Runtime;

public sealed partial class RuncRuntime
{
    public async IAsyncEnumerable<LogLine> LogsAsync(string id, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string file = LogFileOf(id);
        if (!Directory.Exists(BundleOf(id)))
        {
            throw new ContainerNotFoundException(id);
        }
        var parser = new K8sLogParser();
        long position = 0;
        var pending = new List<byte>();
        var buffer = new byte[16384];
        while (true)
        {
            // Done once conmon has ended after the exit: it drains the container's output before it goes.
            bool stopped = !Directory.Exists(BundleOf(id))
                || (File.Exists(ExitFileOf(id)) && !(ReadPid(Path.Combine(BundleOf(id), ConmonPidFileName)) is int conmon && IsAlive(conmon)));
            if (File.Exists(file))
            {
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                stream.Position = position;
                int n;
                while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    position += n;
                    int start = 0;
                    for (int i = 0; i < n; i++)
                    {
                        if (buffer[i] != (byte)'\n')
                        {
                            continue;
                        }
                        pending.AddRange(buffer.AsSpan(start, i - start).ToArray());
                        string line = Encoding.UTF8.GetString(pending.ToArray());
                        pending.Clear();
                        start = i + 1;
                        if (parser.Parse(line) is LogLine parsed)
                        {
                            yield return parsed;
                        }
                    }
                    pending.AddRange(buffer.AsSpan(start, n - start).ToArray());
                }
            }
            if (!follow || stopped)
            {
                yield break;
            }
            await Task.Delay(100, cancellationToken);
        }
    }
}
