using System.Security.Cryptography;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// Reads through another stream, hashing every byte with sha256, optionally copying it to a
/// sink (the blob's temp file) and counting it for progress. Refuses more bytes than expected.
/// Never buffers a whole blob: memory stays at one read buffer.
/// </summary>
internal sealed class HashingReadStream(Stream source, Stream? sink, long? expectedLength, string what, Action<long>? onBytes = null,
    TimeSpan? idleTimeout = null)
    : Stream
{
    private CancellationTokenSource? _idle;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = source.Read(buffer);
        Account(buffer[..n]);
        sink?.Write(buffer[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        if (idleTimeout is TimeSpan idle)
        {
            // A registry that stops sending (but keeps the connection) must not hang the pull forever.
            if (_idle is null || !_idle.TryReset())
            {
                _idle?.Dispose();
                _idle = new CancellationTokenSource();
            }
            _idle.CancelAfter(idle);
            using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _idle.Token);
            try
            {
                n = await source.ReadAsync(buffer, linked.Token);
            }
            catch (OperationCanceledException) when (_idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new RegistryException($"{what}: no data from the registry for {idle.TotalSeconds:0} s after {BytesRead} bytes; pull again to retry");
            }
        }
        else
        {
            n = await source.ReadAsync(buffer, cancellationToken);
        }
        Account(buffer.Span[..n]);
        if (sink is not null && n > 0)
        {
            await sink.WriteAsync(buffer[..n], cancellationToken);
        }
        return n;
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
        {
            return;
        }
        BytesRead += data.Length;
        if (expectedLength is long max && BytesRead > max)
        {
            throw new DigestMismatchException(what, $"{max} bytes", $"more than {max} bytes");
        }
        _hash.AppendData(data);
        onBytes?.Invoke(BytesRead);
    }

    /// <summary>Reads what is left (after a consumer stopped early, e.g. at the end of a tar).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[81920];
        while (await ReadAsync(buffer, cancellationToken) > 0)
        {
        }
    }

    /// <summary>"sha256:…" of everything read so far.</summary>
    public string Digest() => "sha256:" + Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            _idle?.Dispose();
        }
        base.Dispose(disposing);
    }
}
