using System.Threading.Channels;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// A pull under way: its per-layer progress as a live stream (ends when the pull ends) and the
/// image it produces. Read <see cref="Progress"/> with <c>await foreach</c>, then await <see cref="Completion"/>.
/// </summary>
public sealed class ImagePull
{
    private readonly Channel<LayerProgress> _channel;

    internal ImagePull(Func<IProgress<LayerProgress>, Task<Image>> run)
    {
        _channel = Channel.CreateUnbounded<LayerProgress>(new UnboundedChannelOptions { SingleReader = true });
        var progress = new ChannelProgress(_channel.Writer);
        Completion = RunAsync(run, progress);
    }

    public Task<Image> Completion { get; }

    public IAsyncEnumerable<LayerProgress> Progress => _channel.Reader.ReadAllAsync();

    private async Task<Image> RunAsync(Func<IProgress<LayerProgress>, Task<Image>> run, IProgress<LayerProgress> progress)
    {
        try
        {
            return await Task.Run(() => run(progress));
        }
        finally
        {
            _channel.Writer.TryComplete();
        }
    }

    private sealed class ChannelProgress(ChannelWriter<LayerProgress> writer) : IProgress<LayerProgress>
    {
        public void Report(LayerProgress value) => writer.TryWrite(value);
    }
}
