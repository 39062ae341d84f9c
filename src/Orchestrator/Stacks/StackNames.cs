namespace Appliance.Orchestrator.Stacks;

/// <summary>The one place where wire names (as written in stack files) map to the enums.</summary>
public static class StackNames
{
    public static string Of(DependencyCondition condition) => condition switch
    {
        DependencyCondition.ServiceHealthy => "service_healthy",
        DependencyCondition.ServiceCompletedSuccessfully => "service_completed_successfully",
        _ => "service_started",
    };

    public static bool TryParse(string text, out DependencyCondition condition)
    {
        (bool ok, condition) = text switch
        {
            "service_started" => (true, DependencyCondition.ServiceStarted),
            "service_healthy" => (true, DependencyCondition.ServiceHealthy),
            "service_completed_successfully" => (true, DependencyCondition.ServiceCompletedSuccessfully),
            _ => (false, DependencyCondition.ServiceStarted),
        };
        return ok;
    }

    public static string Of(Exposure exposure) => exposure switch
    {
        Exposure.HostOnly => "host-only",
        Exposure.Internet => "internet",
        _ => "lan",
    };

    public static bool TryParse(string text, out Exposure exposure)
    {
        (bool ok, exposure) = text switch
        {
            "host-only" => (true, Exposure.HostOnly),
            "lan" => (true, Exposure.Lan),
            "internet" => (true, Exposure.Internet),
            _ => (false, Exposure.Lan),
        };
        return ok;
    }

    public static string Of(ScheduleAction action) => action switch
    {
        ScheduleAction.UpdateCheck => "update-check",
        ScheduleAction.Command => "command",
        _ => "restart",
    };

    public static bool TryParse(string text, out ScheduleAction action)
    {
        (bool ok, action) = text switch
        {
            "restart" => (true, ScheduleAction.Restart),
            "update-check" => (true, ScheduleAction.UpdateCheck),
            "command" => (true, ScheduleAction.Command),
            _ => (false, ScheduleAction.Restart),
        };
        return ok;
    }

    public static string Of(PortProtocol protocol) => protocol == PortProtocol.Udp ? "udp" : "tcp";
}
