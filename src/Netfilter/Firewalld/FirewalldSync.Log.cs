using Microsoft.Extensions.Logging;

namespace Appliance.Netfilter.Firewalld;

public sealed partial class FirewalldSync
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Changed Appliance's objects in firewalld ({Bus}) in {Milliseconds:0} ms: {Changes}")]
        public static partial void Applied(ILogger logger, string bus, double milliseconds, string changes);

        [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "After firewalld {Trigger}, Appliance's objects differed; restored {Milliseconds:0} ms after the event: {Changes}")]
        public static partial void Restored(ILogger logger, FirewalldEventKind trigger, double milliseconds, string changes);

        [LoggerMessage(EventId = 7103, Level = LogLevel.Debug, Message = "After firewalld {Trigger}, Appliance's objects are intact")]
        public static partial void Intact(ILogger logger, FirewalldEventKind trigger);

        [LoggerMessage(EventId = 7104, Level = LogLevel.Error, Message = "Re-applying Appliance's objects in firewalld after {Trigger} failed")]
        public static partial void ReapplyFailed(ILogger logger, FirewalldEventKind trigger, Exception exception);

        [LoggerMessage(EventId = 7105, Level = LogLevel.Warning, Message = "firewalld left the bus ({Bus}); Appliance re-applies its objects when it is back")]
        public static partial void Stopped(ILogger logger, string bus);
    }
}
