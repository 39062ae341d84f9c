using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Appliance.Netfilter.Errors;

namespace Appliance.Netfilter.Intent;

/// <summary>Checks an intent and reports every problem at once, each with where and how to fix it.</summary>
public static partial class FirewallIntentValidator
{
    public static IReadOnlyList<string> Validate(FirewallIntent intent)
    {
        var errors = new List<string>();
        if (!NameRegex().IsMatch(intent.TableName))
        {
            errors.Add($"tableName: '{intent.TableName}' is not a valid nftables table name; use letters, digits, '_' or '-' (at most 64), e.g. \"appliance\"");
        }
        if (intent.Mark.Value == 0 || (intent.Mark.Value & ~intent.Mark.Mask) != 0)
        {
            errors.Add($"mark: value 0x{intent.Mark.Value:x} must be non-zero and lie within mask 0x{intent.Mark.Mask:x}, e.g. 0x01000000/0x01000000");
        }
        for (int i = 0; i < intent.LanSubnets.Count; i++)
        {
            CheckIPv4(intent.LanSubnets[i].BaseAddress, $"lanSubnets[{i}]", errors);
        }
        var hostKeys = new Dictionary<(int, TransportProtocol), string>();
        for (int i = 0; i < intent.HostServices.Count; i++)
        {
            HostService s = intent.HostServices[i];
            string where = $"hostServices[{i}] ({s.Name})";
            if (string.IsNullOrWhiteSpace(s.Name))
            {
                errors.Add($"hostServices[{i}]: the name is empty; give it a name such as \"{HostService.AdminUiName}\"");
            }
            CheckPort(s.Port, where + ".port", errors);
            CheckSources(s.AllowedFrom, where + ".allowedFrom", errors);
            if (!hostKeys.TryAdd((s.Port, s.Protocol), where))
            {
                errors.Add($"{where}: port {s.Port}/{Lower(s.Protocol)} is already used by {hostKeys[(s.Port, s.Protocol)]}; merge them into one service");
            }
        }
        var bridges = new Dictionary<string, string>(StringComparer.Ordinal);
        var stackNames = new HashSet<string>(StringComparer.Ordinal);
        var published = new Dictionary<(TransportProtocol, int), List<(string Host, string Where)>>();
        for (int i = 0; i < intent.Stacks.Count; i++)
        {
            StackNetwork stack = intent.Stacks[i];
            string where = $"stacks[{i}] ({stack.Name})";
            if (string.IsNullOrWhiteSpace(stack.Name) || !stackNames.Add(stack.Name))
            {
                errors.Add($"{where}: the stack name is empty or used twice; every stack needs its own name");
            }
            if (!BridgeRegex().IsMatch(stack.Bridge))
            {
                errors.Add($"{where}.bridge: '{stack.Bridge}' is not a valid interface name; use 1-15 letters, digits, '-', '_' or '.', e.g. \"ap-{stack.Name}\"");
            }
            else if (!bridges.TryAdd(stack.Bridge, where))
            {
                errors.Add($"{where}.bridge: '{stack.Bridge}' is also the bridge of {bridges[stack.Bridge]}; each stack has its own bridge");
            }
            CheckIPv4(stack.Subnet.BaseAddress, where + ".subnet", errors);
            for (int a = 0; a < stack.ContainerAddresses.Count; a++)
            {
                if (!stack.Subnet.Contains(stack.ContainerAddresses[a]))
                {
                    errors.Add($"{where}.containerAddresses[{a}]: {stack.ContainerAddresses[a]} is outside the stack's subnet {stack.Subnet}");
                }
            }
            for (int p = 0; p < stack.PublishedPorts.Count; p++)
            {
                PublishedPort port = stack.PublishedPorts[p];
                string pw = $"{where}.publishedPorts[{p}]";
                CheckPort(port.HostPort, pw + ".hostPort", errors);
                CheckPort(port.ContainerPort, pw + ".containerPort", errors);
                CheckSources(port.Exposure, pw + ".exposure", errors);
                if (port.HostAddress is not null)
                {
                    CheckIPv4(port.HostAddress, pw + ".hostAddress", errors);
                }
                CheckIPv4(port.ContainerAddress, pw + ".containerAddress", errors);
                if (!stack.Subnet.Contains(port.ContainerAddress))
                {
                    errors.Add($"{pw}.containerAddress: {port.ContainerAddress} is outside the stack's subnet {stack.Subnet}");
                }
                string host = port.HostAddress?.ToString() ?? "*";
                if (!published.TryGetValue((port.Protocol, port.HostPort), out var users))
                {
                    published[(port.Protocol, port.HostPort)] = users = new List<(string, string)>();
                }
                var clash = users.FirstOrDefault(u => u.Host == host || u.Host == "*" || host == "*");
                if (clash.Where is not null)
                {
                    errors.Add($"{pw}: host port {port.HostPort}/{Lower(port.Protocol)} is already published by {clash.Where}; choose another host port");
                }
                else
                {
                    users.Add((host, pw));
                }
            }
        }
        for (int i = 0; i < intent.Stacks.Count; i++)
        {
            for (int j = i + 1; j < intent.Stacks.Count; j++)
            {
                IPNetwork a = intent.Stacks[i].Subnet, b = intent.Stacks[j].Subnet;
                if (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress))
                {
                    errors.Add($"stacks[{j}] ({intent.Stacks[j].Name}).subnet: {b} overlaps {a} of stacks[{i}] ({intent.Stacks[i].Name}); stacks need disjoint subnets");
                }
            }
        }
        return errors;
    }

    /// <summary>Throws <see cref="InvalidFirewallIntentException"/> listing every problem.</summary>
    public static void ThrowIfInvalid(FirewallIntent intent)
    {
        IReadOnlyList<string> errors = Validate(intent);
        if (errors.Count > 0)
        {
            throw new InvalidFirewallIntentException(errors);
        }
    }

    private static void CheckPort(int port, string where, List<string> errors)
    {
        if (port is < 1 or > 65535)
        {
            errors.Add($"{where}: {port} is not a port; expected 1-65535");
        }
    }

    private static void CheckIPv4(IPAddress address, string where, List<string> errors)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            errors.Add($"{where}: {address} is not IPv4; Appliance's container networks and exposures are IPv4 for now");
        }
    }

    private static void CheckSources(Exposure exposure, string where, List<string> errors)
    {
        for (int i = 0; i < exposure.Sources.Count; i++)
        {
            CheckIPv4(exposure.Sources[i].BaseAddress, $"{where}.sources[{i}]", errors);
        }
    }

    private static string Lower(TransportProtocol p) => p.ToString().ToLowerInvariant();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")]
    private static partial Regex BridgeRegex();
}
