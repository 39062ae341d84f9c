using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Yaml;

namespace Appliance.Orchestrator.Stacks.Parsing;

internal sealed partial class StackParser
{
    private List<DependencyDefinition> DependsOn(YNode node, string path)
    {
        var result = new List<DependencyDefinition>();
        if (node is YMapping map)
        {
            foreach ((YScalar key, YNode value) in map.Entries)
            {
                string p = Join(path, key.Value);
                var condition = DependencyCondition.ServiceStarted;
                bool restart = false;
                bool required = true;
                if (value is YMapping options)
                {
                    foreach ((YScalar okey, YNode ovalue) in options.Entries)
                    {
                        string op = Join(p, okey.Value);
                        switch (okey.Value)
                        {
                            case "condition":
                                string? text = Text(ovalue, op, "a condition");
                                if (text is not null && !StackNames.TryParse(text, out condition))
                                {
                                    _d.Error(ovalue.Start, op, $"'{Short(text)}' is not a dependency condition; expected service_started, service_healthy or service_completed_successfully");
                                }
                                break;
                            case "restart":
                                restart = Bool(ovalue, op) ?? false;
                                break;
                            case "required":
                                required = Bool(ovalue, op) ?? true;
                                break;
                            default:
                                Unknown(okey, p, ["condition", "restart", "required"]);
                                break;
                        }
                    }
                }
                else if (value is not YScalar { IsNull: true })
                {
                    TypeError(value, p, "a mapping like {condition: service_healthy}");
                }
                result.Add(new DependencyDefinition(key.Value, condition, restart, required, key.Start, p));
            }
            return result;
        }
        foreach ((string text, YNode item, string p) in TextList(node, path, "service names"))
        {
            result.Add(new DependencyDefinition(text, DependencyCondition.ServiceStarted, false, true, item.Start, p));
        }
        return result;
    }

    private HealthcheckDefinition? Healthcheck(YNode node, string path)
    {
        YMapping? map = Mapping(node, path, "a mapping with test, interval, timeout, retries, start_period");
        if (map is null)
        {
            return null;
        }
        var check = new HealthcheckDefinition { Kind = HealthcheckKind.Image, Location = node.Start };
        bool disabled = false;
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "test":
                    check = Test(check, value, p);
                    break;
                case "disable":
                    disabled = Bool(value, p) ?? false;
                    break;
                case "interval":
                    check = check with { Interval = Positive(Duration(value, p), value, p) };
                    break;
                case "timeout":
                    check = check with { Timeout = Positive(Duration(value, p), value, p) };
                    break;
                case "start_period":
                    check = check with { StartPeriod = Duration(value, p) };
                    break;
                case "start_interval":
                    check = check with { StartInterval = Positive(Duration(value, p), value, p) };
                    break;
                case "retries":
                    check = check with { Retries = (int?)Integer(value, p, 1, 10_000, "a retry count") };
                    break;
                default:
                    Unknown(key, path, ["test", "disable", "interval", "timeout", "retries", "start_period", "start_interval"]);
                    break;
            }
        }
        return disabled ? check with { Kind = HealthcheckKind.Disabled, Test = [] } : check;
    }

    private TimeSpan? Positive(TimeSpan? value, YNode node, string path)
    {
        if (value is { } v && v <= TimeSpan.Zero)
        {
            _d.Error(node.Start, path, "must be more than zero, e.g. 10s");
            return null;
        }
        return value;
    }

    private HealthcheckDefinition Test(HealthcheckDefinition check, YNode node, string path)
    {
        if (node is YScalar { IsNull: false } scalar)
        {
            string? command = Text(scalar, path, "a command");
            return command is null ? check : check with { Kind = HealthcheckKind.Shell, Test = [command] };
        }
        List<(string Value, YNode Node, string Path)> words = TextList(node, path, "command words");
        if (node is not YSequence)
        {
            return check;
        }
        if (words.Count == 0)
        {
            _d.Error(node.Start, path, "an empty test; write [\"CMD\", \"program\", \"arg\"], [\"CMD-SHELL\", \"command\"], a command string, or [\"NONE\"] to disable");
            return check;
        }
        switch (words[0].Value)
        {
            case "NONE":
                return check with { Kind = HealthcheckKind.Disabled, Test = [] };
            case "CMD" when words.Count >= 2:
                return check with { Kind = HealthcheckKind.Exec, Test = [.. words.Skip(1).Select(w => w.Value)] };
            case "CMD-SHELL" when words.Count == 2:
                return check with { Kind = HealthcheckKind.Shell, Test = [words[1].Value] };
            case "CMD":
                _d.Error(node.Start, path, "\"CMD\" needs the program to run after it, e.g. [\"CMD\", \"pg_isready\", \"-U\", \"postgres\"]");
                return check;
            case "CMD-SHELL":
                _d.Error(node.Start, path, "\"CMD-SHELL\" takes exactly one command string after it, e.g. [\"CMD-SHELL\", \"redis-cli ping || exit 1\"]");
                return check;
            default:
                _d.Error(words[0].Node.Start, Index(path, 0), $"a test list starts with \"CMD\", \"CMD-SHELL\" or \"NONE\", not '{Short(words[0].Value)}'; e.g. [\"CMD\", \"{Short(words[0].Value)}\", ...]");
                return check;
        }
    }
}
