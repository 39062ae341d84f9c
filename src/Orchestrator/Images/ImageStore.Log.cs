using Microsoft.Extensions.Logging;

namespace Appliance.Orchestrator.Images;

public sealed partial class ImageStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Pulling '{Reference}' ({Platform})")]
        public static partial void Pulling(ILogger logger, string reference, string platform);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Information,
            Message = "Pulled '{Reference}' as {ImageId}: {Layers} layers, {Downloaded} downloaded ({Bytes} bytes) in {ElapsedMs} ms")]
        public static partial void Pulled(ILogger logger, string reference, string imageId, int layers, int downloaded, long bytes, long elapsedMs);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Pull of '{Reference}' failed: {Error}")]
        public static partial void PullFailed(ILogger logger, string reference, string error);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Layer {Digest} unpacked: {Entries} entries, {Bytes} bytes")]
        public static partial void LayerUnpacked(ILogger logger, string digest, int entries, long bytes);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Information,
            Message = "Garbage collection removed {Images} images, {Blobs} blobs, {Layers} layers ({Bytes} bytes)")]
        public static partial void Collected(ILogger logger, int images, int blobs, int layers, long bytes);

        [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Mounted the root filesystem '{Path}' ({Layers} layers of {ImageId})")]
        public static partial void Mounted(ILogger logger, string path, int layers, string imageId);

        [LoggerMessage(EventId = 3007, Level = LogLevel.Warning,
            Message = "Layers are unpacked file by file: this kernel cannot mount an EROFS image from a file (Linux 6.12 or later can; pulls are faster there): {Error}")]
        public static partial void LayersUnpacked(ILogger logger, string error);

        [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Pulling '{Reference}': {Error}; downloading it again")]
        public static partial void LayerDamaged(ILogger logger, string reference, string error);
    }
}
