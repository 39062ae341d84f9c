using System.Net;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Linux;
using Appliance.Netfilter.Nftables;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>
/// The NAS story in a test box: nas with br_netfilter (bridge-nf-call-iptables=1 inside nas)
/// and a gitlab-shaped stack simulated with namespaces on a bridge — "postgresql" listening on
/// 5432, "gitlab" listening on 80 and 22 — plus the admin UI (8443) and an unlisted "samba"
/// (445) on nas itself. The stack's containers are namespaces until the engine's stack-up lands.
/// </summary>
internal sealed class NasStack : IAsyncDisposable
{
    public const string Bridge = "ap-gitlab";
    public const string Subnet = "10.88.1.0/24";
    public const string Gateway = "10.88.1.1";
    public const string DbAddress = "10.88.1.2";
    public const string AppAddress = "10.88.1.3";
    public const int AdminUiPort = 8443;
    public const int SambaPort = 445;

    private NasStack(TestBox box, TestHost db, TestHost app)
    {
        Box = box;
        Db = db;
        App = app;
    }

    public TestBox Box { get; }

    public TestHost Db { get; }

    public TestHost App { get; }

    public TestHost Nas => Box.Nas;

    public NetworkNamespace NasNamespace => Box.Nas.Namespace;

    public static async Task<NasStack> CreateAsync()
    {
        TestBox box = await TestBox.CreateAsync(withWan: true);
        try
        {
            await new NasHost(box).EnableBrNetfilterAsync();
            await Ip(box.Nas, "link", "add", Bridge, "type", "bridge");
            await Ip(box.Nas, "addr", "add", Gateway + "/24", "dev", Bridge);
            await Ip(box.Nas, "link", "set", Bridge, "up");
            TestHost db = await AddContainerAsync(box, "db", "postgresql", DbAddress);
            TestHost app = await AddContainerAsync(box, "app", "gitlab", AppAddress);
            // Clients route the container subnet through nas, so "direct access" is a real attempt.
            await Ip(box.Laptop, "route", "add", Subnet, "via", TestBox.NasLanAddress);
            await box.ListenTcpAsync(db, DbAddress, 5432, "postgresql");
            await box.ListenTcpAsync(app, AppAddress, 80, "gitlab http");
            await box.ListenTcpAsync(app, AppAddress, 22, "gitlab ssh");
            await box.ListenTcpAsync(box.Nas, "0.0.0.0", AdminUiPort, "admin ui");
            await box.ListenTcpAsync(box.Nas, "0.0.0.0", SambaPort, "samba");
            return new NasStack(box, db, app);
        }
        catch
        {
            await box.DisposeAsync();
            throw;
        }
    }

    private static async Task<TestHost> AddContainerAsync(TestBox box, string suffix, string role, string address)
    {
        string ns = $"{box.Prefix}-{suffix}";
        await Command.CheckAsync("ip", "netns", "add", ns);
        box.OnTeardown($"netns {ns}", async () => await Command.CheckAsync("ip", "netns", "del", ns));
        string hostEnd = "v" + suffix;
        await Ip(box.Nas, "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await Ip(box.Nas, "link", "set", hostEnd, "master", Bridge);
        await Ip(box.Nas, "link", "set", hostEnd, "type", "bridge_slave", "hairpin", "on");
        await Ip(box.Nas, "link", "set", hostEnd, "up");
        await Command.CheckAsync("ip", "-n", ns, "link", "set", "lo", "up");
        await Command.CheckAsync("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        await Command.CheckAsync("ip", "-n", ns, "link", "set", "eth0", "up");
        await Command.CheckAsync("ip", "-n", ns, "route", "add", "default", "via", Gateway);
        return new TestHost(role, ns, address, Subnet);
    }

    /// <summary>The intent Appliance would derive for this box: admin UI from the LAN, gitlab's http to the internet, ssh to the LAN.</summary>
    public static FirewallIntent Intent(bool withAdminUi = true) => new()
    {
        LanSubnets = [IPNetwork.Parse(TestBox.LanSubnet)],
        HostServices = withAdminUi
            ? [new HostService { Name = HostService.AdminUiName, Port = AdminUiPort, AllowedFrom = Exposure.Lan }]
            : [],
        Stacks =
        [
            new StackNetwork
            {
                Name = "gitlab",
                Bridge = Bridge,
                Subnet = IPNetwork.Parse(Subnet),
                ContainerAddresses = [IPAddress.Parse(DbAddress), IPAddress.Parse(AppAddress)],
                PublishedPorts =
                [
                    new PublishedPort { HostPort = 10080, ContainerAddress = IPAddress.Parse(AppAddress), ContainerPort = 80, Exposure = Exposure.Internet },
                    new PublishedPort { HostPort = 10022, ContainerAddress = IPAddress.Parse(AppAddress), ContainerPort = 22, Exposure = Exposure.Lan },
                ],
            },
        ],
    };

    /// <summary>A deny-by-default host firewall in a table that is not Appliance's, with or without the mark rule.</summary>
    public Task LoadHostFirewallAsync(bool withMarkRule) => new NasHost(Box).LoadHostFirewallAsync(withMarkRule);

    public NftablesBackend Backend(TimeSpan? confirmWindow = null, bool watchDrift = true) => new(new NftablesBackendOptions
    {
        Namespace = NasNamespace,
        StateDirectory = Path.Combine(Box.RunDir, "firewall"),
        ConfirmWindow = confirmWindow ?? TimeSpan.FromSeconds(60),
        // Changes are seen through nftables' events: the poll would come too late for any test to rely on it.
        DriftPollInterval = watchDrift ? TimeSpan.FromMinutes(10) : TimeSpan.Zero,
    });

    public static Task<string?> ConnectAsync(TestHost from, string address, int port) =>
        TestBox.TryConnectTcpAsync(from, address, port, TimeSpan.FromSeconds(2));

    public async Task<string> RulesetJsonAsync() => (await Check(Box.ExecAsync(Nas, "nft", "-j", "list", "ruleset"))).Stdout;

    private static Task<CommandResult> Ip(TestHost host, params string[] args) => Command.CheckAsync(["ip", "-n", host.NamespaceName, .. args]);

    private static async Task<CommandResult> Check(Task<CommandResult> run) => (await run).EnsureSuccess();

    public ValueTask DisposeAsync() => Box.DisposeAsync();
}
