namespace Appliance.Web.Hosting;

/// <summary>The daemon's log messages (fixed event ids, quoted identifiers).</summary>
internal static partial class DaemonLog
{
    /// <summary>The daemon's and the web UI's log levels: their own messages, and only warnings from ASP.NET Core, Quartz and YARP.</summary>
    public static ILoggingBuilder Quiet(ILoggingBuilder logging) =>
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning)
            .AddFilter("Quartz", LogLevel.Warning).AddFilter("Yarp", LogLevel.Warning)
            // "No XML encryptor configured" at every start: the key ring is in STATE/keys, in the root-only (0700) state dir,
            // which is the protection on Linux; the warning would only teach owners to ignore the log.
            .AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Appliance daemon serving: state '{StateDir}', socket '{SocketPath}', port {Port}, started in {StartMs} ms")]
    public static partial void Serving(ILogger logger, string stateDir, string socketPath, int port, long startMs);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "No container engine is registered: stacks cannot be deployed or reconciled by this build")]
    public static partial void NoEngine(ILogger logger);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Error, Message = "Reconcile pass failed")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Information, Message = "Reconcile: {Action}")]
    public static partial void ReconcileAction(ILogger logger, string action);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Information, Message = "Resumed plan of '{Stack}': {Message}")]
    public static partial void Resumed(ILogger logger, string stack, string message);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Error, Message = "The exit watch failed; exited containers are noticed by the periodic reconcile pass only")]
    public static partial void ExitWatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Warning, Message = "A log rotation pass failed; the next one tries again")]
    public static partial void LogRotationFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9008, Level = LogLevel.Warning, Message = "Alert not delivered to the webhook ({Detail}): {Alert}")]
    public static partial void AlertNotDelivered(ILogger logger, string alert, string detail);

    [LoggerMessage(EventId = 9009, Level = LogLevel.Error, Message = "The scheduler did not start: no health checks or scheduled actions run")]
    public static partial void SchedulerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Error, Message = "The UI bridge failed to answer {Method} '{Path}'")]
    public static partial void UiBridgeFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Error, Message = "The UI bridge's stream '{Path}' broke off; the UI process is told by the connection's end")]
    public static partial void UiBridgeStreamFailed(ILogger logger, string path, Exception exception);
}
