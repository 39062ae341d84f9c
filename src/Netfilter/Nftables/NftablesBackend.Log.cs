using Microsoft.Extensions.Logging;

namespace Appliance.Netfilter.Nftables;

public sealed partial class NftablesBackend
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Applied firewall to table inet '{Table}' in '{Namespace}': {Kind}, {Commands} command(s)")]
        public static partial void Applied(ILogger logger, string table, string @namespace, string kind, int commands);

        [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Firewall drift in '{Namespace}': {Drift}; restoring table inet '{Table}'")]
        public static partial void Drift(ILogger logger, string @namespace, string table, FirewallDrift drift);

        [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "Restoring table inet '{Table}' in '{Namespace}' failed")]
        public static partial void RestoreFailed(ILogger logger, string table, string @namespace, Exception exception);

        [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "Firewall change cuts the owner's access ({What}); it is rolled back at {Until:O} unless confirmed")]
        public static partial void Pending(ILogger logger, string what, DateTimeOffset until);

        [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Firewall change was not confirmed within {Window}; rolled back")]
        public static partial void RolledBack(ILogger logger, TimeSpan window);

        [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "Firewall change confirmed")]
        public static partial void Confirmed(ILogger logger);

        [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "nftables change events in '{Namespace}' cannot be read; the table is compared every 500 ms instead")]
        public static partial void NoDriftEvents(ILogger logger, string @namespace, Exception exception);

        [LoggerMessage(EventId = 7008, Level = LogLevel.Warning, Message = "Comparing the firewall table in '{Namespace}' with what was applied failed; the next change or poll tries again")]
        public static partial void DriftCheckFailed(ILogger logger, string @namespace, Exception exception);
    }
}
