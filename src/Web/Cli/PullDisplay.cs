using Appliance.Orchestrator.Images;

namespace Appliance.Web.Cli;

/// <summary>One line per layer with a bar; redrawn in place on a terminal, one line per finished layer otherwise.</summary>
internal sealed class PullDisplay(TextWriter output, bool live)
{
    private readonly List<string> _order = new();
    private readonly Dictionary<string, LayerProgress> _layers = new();
    private int _drawn;
    private DateTime _lastDraw;

    public void Update(LayerProgress progress)
    {
        if (!_layers.ContainsKey(progress.Digest))
        {
            _order.Add(progress.Digest);
        }
        _layers[progress.Digest] = progress;
        if (!live)
        {
            if (progress.State is LayerState.Done or LayerState.AlreadyPresent or LayerState.Failed)
            {
                output.WriteLine(Line(progress));
            }
            return;
        }
        if (progress.State == LayerState.Downloading && DateTime.UtcNow - _lastDraw < TimeSpan.FromMilliseconds(100))
        {
            return;
        }
        Draw();
    }

    public void Finish()
    {
        if (live && _layers.Count > 0)
        {
            Draw();
        }
    }

    private void Draw()
    {
        _lastDraw = DateTime.UtcNow;
        if (_drawn > 0)
        {
            output.Write($"\u001b[{_drawn}A");
        }
        foreach (string digest in _order)
        {
            output.Write("\u001b[2K");
            output.WriteLine(Line(_layers[digest]));
        }
        _drawn = _order.Count;
        output.Flush();
    }

    private static string Line(LayerProgress p)
    {
        const int width = 30;
        int filled = p.Total > 0 ? (int)(width * Math.Min(1.0, p.Done / (double)p.Total)) : 0;
        string bar = new string('#', filled) + new string('.', width - filled);
        string state = p.State switch
        {
            LayerState.Waiting => "waiting",
            LayerState.Downloading => "pulling",
            LayerState.Done => "done",
            LayerState.AlreadyPresent => "already present",
            _ => "failed",
        };
        return $"{p.ShortDigest} [{bar}] {ImageCommand.Size(p.Done),9} / {ImageCommand.Size(p.Total),-9} {state}";
    }
}
