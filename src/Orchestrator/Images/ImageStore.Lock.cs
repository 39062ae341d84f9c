namespace Appliance.Orchestrator.Images;

public sealed partial class ImageStore
{
    /// <summary>
    /// Image records and garbage collection change under one lock: in this process a semaphore,
    /// across processes (the daemon and an `appliance image` command) an exclusive lock on
    /// <c>ROOT/lock</c>. Blobs and layers need none: they appear by rename, complete or not at all.
    /// </summary>
    private async Task<StoreLock> LockAsync(CancellationToken cancellationToken)
    {
        await _metadata.WaitAsync(cancellationToken);
        try
        {
            string path = Path.Combine(Root, "lock");
            DateTime deadline = DateTime.UtcNow.AddMinutes(2);
            while (true)
            {
                try
                {
                    // .NET takes flock(LOCK_EX | LOCK_NB) for FileShare.None
                    return new StoreLock(_metadata, new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(25, cancellationToken);
                }
                catch (IOException e)
                {
                    throw new ImageStorageException($"the image store '{Root}' stayed locked by another process for 2 minutes ({e.Message}); is a pull or `appliance image rm` stuck?", inner: e);
                }
            }
        }
        catch
        {
            _metadata.Release();
            throw;
        }
    }

    private sealed class StoreLock(SemaphoreSlim semaphore, FileStream file) : IDisposable
    {
        public void Dispose()
        {
            file.Dispose();
            semaphore.Release();
        }
    }
}
