using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Tests.Stacks;

/// <summary>The Compose subset resolves with Compose semantics.</summary>
public sealed class StackSyntaxTests
{
    private static ResolvedService One(string serviceYaml, IReadOnlyDictionary<string, string>? variables = null, string extra = "")
    {
        StackLoadResult result = StackTestHelpers.Load($"services:\n  web:\n    image: nginx\n{serviceYaml}\n{extra}", variables);
        result.AssertValid();
        return result.Stack!.Services.Single();
    }

    [Fact]
    public void Ports_ShortSyntax_AllForms()
    {
        ResolvedService web = One("""
                ports:
                  - "8080:80"
                  - "127.0.0.1:8443:443"
                  - "[::1]:9000:9000"
                  - "53:53/udp"
                  - "7000-7002:8000-8002"
                  - 6000:6000
            """);
        Assert.Equal(
            [
                new PublishedPort(null, 8080, 80, PortProtocol.Tcp, Exposure.Lan, []),
                new PublishedPort("127.0.0.1", 8443, 443, PortProtocol.Tcp, Exposure.HostOnly, []),
                new PublishedPort("::1", 9000, 9000, PortProtocol.Tcp, Exposure.HostOnly, []),
                new PublishedPort(null, 53, 53, PortProtocol.Udp, Exposure.Lan, []),
                new PublishedPort(null, 7000, 8000, PortProtocol.Tcp, Exposure.Lan, []),
                new PublishedPort(null, 7001, 8001, PortProtocol.Tcp, Exposure.Lan, []),
                new PublishedPort(null, 7002, 8002, PortProtocol.Tcp, Exposure.Lan, []),
                new PublishedPort(null, 6000, 6000, PortProtocol.Tcp, Exposure.Lan, []),
            ],
            web.Ports.Select(p => p with { Sources = [] }));
    }

    [Fact]
    public void Ports_LongSyntax_AndExposureRules()
    {
        ResolvedService web = One("""
                ports:
                  - target: 80
                    published: "8080"
                  - target: 22
                    published: 2222
                    host_ip: 0.0.0.0
                    protocol: tcp
                x-appliance:
                  exposure: lan
                  sources: [192.168.1.0/24]
                  ports:
                    "2222": { exposure: internet, sources: [203.0.113.7] }
            """);
        Assert.Equal(new PublishedPort(null, 8080, 80, PortProtocol.Tcp, Exposure.Lan, web.Ports[0].Sources), web.Ports[0]);
        Assert.Equal(["192.168.1.0/24"], web.Ports[0].Sources);
        Assert.Equal(new PublishedPort("0.0.0.0", 2222, 22, PortProtocol.Tcp, Exposure.Internet, web.Ports[1].Sources), web.Ports[1]);
        Assert.Equal(["203.0.113.7/32"], web.Ports[1].Sources);
    }

    [Fact]
    public void Ports_WithoutHostPort_AreRefused_WithTheFix()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx\n    ports: [\"80\"]\n");
        result.AssertError(4, 13, "services.web.ports[0]", "write HOST_PORT:80, e.g. \"80:80\"");
    }

    [Fact]
    public void Volumes_ShortAndLongSyntax_Tmpfs()
    {
        ResolvedService web = One("""
                volumes:
                  - data:/data
                  - ./conf:/etc/conf:ro
                  - /srv/media:/media:rw
                  - type: tmpfs
                    target: /cache
                    tmpfs: { size: 64m }
                  - type: volume
                    source: data
                    target: /backup
                    read_only: true
                tmpfs: /run
            """, extra: "volumes:\n  data:\n    name: shared-data\n");
        Assert.Equal(
            [
                new ResolvedMount(MountType.Volume, "shared-data", "/data", false),
                new ResolvedMount(MountType.Bind, "/tmp/appliance-stack-tests/demo/conf", "/etc/conf", true),
                new ResolvedMount(MountType.Bind, "/srv/media", "/media", false),
                new ResolvedMount(MountType.Tmpfs, null, "/cache", false, 64L * 1024 * 1024),
                new ResolvedMount(MountType.Volume, "shared-data", "/backup", true),
                new ResolvedMount(MountType.Tmpfs, null, "/run", false),
            ],
            web.Mounts);
    }

    [Fact]
    public void Environment_ListAndMap_EnvFileFirst_LaterWins()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"appliance-stacks-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "common.env"), "# comment\nA=from-file\nexport B=\"quoted value\"\nC=keep\n");
            string yaml = "services:\n  web:\n    image: nginx\n    env_file: common.env\n    environment:\n      - A=from-list\n      - FROM_VARS\n      - MISSING\n";
            StackLoadResult result = StackLoader.LoadFromText(yaml, Path.Combine(dir, "stack.yaml"), new Dictionary<string, string> { ["FROM_VARS"] = "v" });
            result.AssertValid();
            Assert.Equal(
                [new("A", "from-list"), new("B", "quoted value"), new("C", "keep"), new("FROM_VARS", "v")],
                result.Stack!.Services[0].Environment);

            StackLoadResult missing = StackLoader.LoadFromText("services:\n  web:\n    image: nginx\n    env_file:\n      - nope.env\n      - path: optional.env\n        required: false\n", Path.Combine(dir, "stack.yaml"));
            missing.AssertError(5, 9, "services.web.env_file[0]", "env_file 'nope.env' cannot be read");
            Assert.Single(missing.Errors);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Environment_MapValues_KeepNumbersAndBooleansAsText()
    {
        ResolvedService web = One("    environment:\n      PORT: 8080\n      DEBUG: false\n      EMPTY:\n");
        Assert.Equal([new("PORT", "8080"), new("DEBUG", "false")], web.Environment);
    }

    [Fact]
    public void Healthcheck_ComposeDefaults_AndForms()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              a:
                image: x
                healthcheck:
                  test: curl -f http://localhost/
              b:
                image: x
                healthcheck:
                  test: ["CMD", "pg_isready", "-U", "postgres"]
                  interval: 1m30s
                  timeout: 500ms
                  retries: 5
                  start_period: 1.5m
                  start_interval: 2s
              c:
                image: x
                healthcheck:
                  test: ["NONE"]
              d:
                image: x
                healthcheck:
                  disable: true
              e:
                image: x
                healthcheck:
                  interval: 10s
            """);
        result.AssertValid();
        ResolvedStack stack = result.Stack!;
        ResolvedHealthcheck a = stack.FindService("a")!.Healthcheck!;
        Assert.Equal(["/bin/sh", "-c", "curl -f http://localhost/"], a.Test);
        Assert.Equal(
            new ResolvedHealthcheck(HealthcheckKind.Shell, a.Test, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), 3, TimeSpan.Zero, TimeSpan.FromSeconds(5)),
            a);
        ResolvedHealthcheck b = stack.FindService("b")!.Healthcheck!;
        Assert.Equal(["pg_isready", "-U", "postgres"], b.Test);
        Assert.Equal(TimeSpan.FromSeconds(90), b.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), b.Timeout);
        Assert.Equal(5, b.Retries);
        Assert.Equal(TimeSpan.FromSeconds(90), b.StartPeriod);
        Assert.Equal(TimeSpan.FromSeconds(2), b.StartInterval);
        Assert.Equal(HealthcheckKind.Disabled, stack.FindService("c")!.Healthcheck!.Kind);
        Assert.Equal(HealthcheckKind.Disabled, stack.FindService("d")!.Healthcheck!.Kind);
        Assert.Equal(HealthcheckKind.Image, stack.FindService("e")!.Healthcheck!.Kind);
        Assert.Equal(TimeSpan.FromSeconds(10), stack.FindService("e")!.Healthcheck!.Interval);
        Assert.True(stack.FindService("b")!.Autoheal.Enabled);
        Assert.False(stack.FindService("c")!.Autoheal.Enabled);
    }

    [Theory]
    [InlineData("\"no\"", RestartMode.No, null)]
    [InlineData("always", RestartMode.Always, null)]
    [InlineData("on-failure", RestartMode.OnFailure, null)]
    [InlineData("on-failure:3", RestartMode.OnFailure, 3)]
    [InlineData("unless-stopped", RestartMode.UnlessStopped, null)]
    public void Restart_Policies(string value, RestartMode mode, int? retries)
    {
        Assert.Equal(new RestartPolicy(mode, retries), One($"    restart: {value}").Restart);
    }

    [Fact]
    public void Limits_MemLimitAndDeployResources()
    {
        Assert.Equal(new ResourceLimits(512L * 1024 * 1024, null, null), One("    mem_limit: 512m").Limits);
        Assert.Equal(
            new ResourceLimits(1024L * 1024 * 1024, 1.5, 200),
            One("    deploy:\n      resources:\n        limits:\n          memory: 1gb\n          cpus: '1.5'\n          pids: 200\n        reservations:\n          memory: 1g\n").Limits);
    }

    [Fact]
    public void CommandAndEntrypoint_StringIsSplitLikeCompose_ListIsKept()
    {
        ResolvedService web = One("    command: redis-server --appendonly yes --requirepass \"a b\" 'c d'\n    entrypoint: [\"/bin/sh\", \"-c\"]");
        Assert.Equal(["redis-server", "--appendonly", "yes", "--requirepass", "a b", "c d"], web.Command);
        Assert.Equal(["/bin/sh", "-c"], web.Entrypoint);
    }

    [Fact]
    public void Interpolation_AllForms()
    {
        var vars = new Dictionary<string, string> { ["SET"] = "value", ["EMPTY"] = "" };
        ResolvedService web = One("""
                environment:
                  A: ${SET}
                  B: ${UNSET:-fallback}
                  C: ${EMPTY:-colon-default}
                  D: ${EMPTY-dash-default}
                  E: $$literal and $SET
                  F: ${SET:+alternative}
                  G: ${UNSET:-${SET}-nested}
                  H: pre-${SET}-post
            """, vars);
        Assert.Equal(
            [new("A", "value"), new("B", "fallback"), new("C", "colon-default"), new("D", ""), new("E", "$literal and value"), new("F", "alternative"), new("G", "value-nested"), new("H", "pre-value-post")],
            web.Environment);
    }

    [Fact]
    public void Interpolation_UnsetVariable_WarnsOnce_AndBadSyntaxIsAnError()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      A: ${TAG}\n      B: ${oops\n      C: $!\n");
        result.AssertAt(3, 12, StackDiagnosticSeverity.Warning, "services.web.image", "variable TAG is not set");
        Assert.Single(result.Warnings);
        result.AssertError(6, 10, "services.web.environment.B", "'${' has no closing '}'");
        result.AssertError(7, 10, "services.web.environment.C", "'$$' for a literal '$'");
    }

    [Fact]
    public void DependsOn_ListAndMap_OrderServices()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              app:
                image: app
                depends_on:
                  migrate:
                    condition: service_completed_successfully
                  cache:
                    condition: service_started
                    restart: true
              migrate:
                image: app
                depends_on: [db]
              db:
                image: postgres
              cache:
                image: redis
            """);
        result.AssertValid();
        Assert.Equal(["db", "migrate", "cache", "app"], result.Stack!.Services.Select(s => s.Name));
        Assert.Equal(
            [new ResolvedDependency("migrate", DependencyCondition.ServiceCompletedSuccessfully, false, true), new ResolvedDependency("cache", DependencyCondition.ServiceStarted, true, true)],
            result.Stack.Services[3].DependsOn);
    }

    [Fact]
    public void ServiceHealthy_OnServiceWithoutHealthcheck_Warns()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  app:\n    image: app\n    depends_on:\n      db:\n        condition: service_healthy\n  db:\n    image: postgres\n");
        result.AssertAt(5, 7, StackDiagnosticSeverity.Warning, "services.app.depends_on.db", "'db' has no healthcheck test in this file");
        result.AssertValid();
    }

    [Fact]
    public void Misc_UserWorkdirCapsLabelsHostname()
    {
        ResolvedService web = One("""
                user: "1000:1000"
                working_dir: /srv
                hostname: www
                cap_add: [NET_ADMIN, cap_sys_time]
                cap_drop: [ALL]
                labels:
                  - com.example.role=web
                read_only: true
                stop_grace_period: 1m
                stop_signal: SIGQUIT
                networks:
                  default:
                    aliases: [www.internal]
            """);
        Assert.Equal("1000:1000", web.User);
        Assert.Equal("/srv", web.WorkingDir);
        Assert.Equal("www", web.Hostname);
        Assert.Equal(["NET_ADMIN", "SYS_TIME"], web.CapAdd);
        Assert.Equal(["ALL"], web.CapDrop);
        Assert.Equal([new("com.example.role", "web")], web.Labels);
        Assert.True(web.ReadOnlyRootFilesystem);
        Assert.Equal(TimeSpan.FromMinutes(1), web.StopGracePeriod);
        Assert.Equal("SIGQUIT", web.StopSignal);
        Assert.Equal(["web", "www.internal"], web.Aliases);
    }

    [Theory]
    [InlineData("SIGUSR1", "1m30s", 90)]
    [InlineData("SIGINT", "500ms", 0.5)]
    [InlineData("9", "2s", 2)]
    public void StopSignalAndGracePeriod_ComposeForms(string signal, string grace, double seconds)
    {
        ResolvedService web = One($"    stop_signal: {signal}\n    stop_grace_period: {grace}");
        Assert.Equal(signal, web.StopSignal);
        Assert.Equal(TimeSpan.FromSeconds(seconds), web.StopGracePeriod);
    }

    [Fact]
    public void Logging_MaxSizeAndMaxFile_AsDockerWritesThem()
    {
        ResolvedService web = One("""
                logging:
                  driver: json-file
                  options:
                    max-size: 50m
                    max-file: "5"
            """);
        Assert.Equal((50L * 1024 * 1024, 5), (web.LogMaxSizeBytes, web.LogMaxFiles));
    }

    [Fact]
    public void Logging_Defaults_TenMegabytesThreeFiles()
    {
        ResolvedService web = One("");
        Assert.Equal((10L * 1024 * 1024, 3), (web.LogMaxSizeBytes, web.LogMaxFiles));
    }

    [Fact]
    public void StopSignalAndGracePeriod_Defaults_SigtermAndTenSeconds()
    {
        ResolvedService web = One("");
        Assert.Equal(("SIGTERM", TimeSpan.FromSeconds(10)), (web.StopSignal, web.StopGracePeriod));
    }

    [Theory]
    [InlineData("SIGterm")]
    [InlineData("SIG1")]
    [InlineData("TERM")]
    [InlineData("SIGUSR1X")]
    public void StopSignal_NotASignal_IsAnError(string signal)
    {
        StackTestHelpers.Load($"services:\n  web:\n    image: nginx\n    stop_signal: {signal}\n")
            .AssertError(4, 18, "services.web.stop_signal", "is not a signal");
    }

    [Fact]
    public void AnchorsAndMergeKeys_ExplicitKeysWin()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            x-base: &base
              image: base:1
              restart: always
              environment: &env
                A: "1"
            services:
              one:
                <<: *base
                image: one:2
              two:
                <<: [*base]
                environment: *env
            """);
        result.AssertValid();
        Assert.Equal("one:2", result.Stack!.FindService("one")!.Image);
        Assert.Equal(new RestartPolicy(RestartMode.Always), result.Stack.FindService("one")!.Restart);
        Assert.Equal([new("A", "1")], result.Stack.FindService("two")!.Environment);
    }

    [Fact]
    public void Schedules_And_Parameters()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            x-appliance:
              parameters:
                - name: TOKEN
                  generate: secret
                  length: 12
                - name: PORT
                  type: port
                  default: "8080"
              schedules:
                - name: nightly
                  cron: "0 4 * * *"
                  action: restart
                  service: web
                - name: bad
                  cron: "61 * * * *"
                  action: restart
            services:
              web:
                image: nginx
                ports: ["${PORT}:80"]
                environment: { TOKEN: "${TOKEN}" }
            """);
        result.AssertError(15, 13, "x-appliance.schedules[1].cron", "is not a cron expression");
        StackLoadResult ok = StackTestHelpers.Load("""
            x-appliance:
              parameters:
                - name: TOKEN
                  generate: secret
                  length: 12
              schedules:
                - name: nightly
                  cron: "0 4 * * *"
                  action: restart
                  service: web
            services:
              web:
                image: nginx
                environment: { TOKEN: "${TOKEN}" }
            """);
        ok.AssertValid();
        Assert.Equal(new ResolvedSchedule("nightly", "0 4 * * *", ScheduleAction.Restart, "web", null), Assert.Single(ok.Stack!.Schedules));
        Assert.Equal(12, ok.Stack.Services[0].Environment.Single().Value.Length);
    }

    [Fact]
    public void Parameters_MapForm_AndCatalog()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            x-appliance:
              catalog:
                title: Demo
                icon: icon.svg
              parameters:
                ADMIN_PASSWORD: { generate: secret, length: 16, description: Admin password }
                PORT: { type: port, default: "8080" }
            services:
              web:
                image: nginx
                ports: ["${PORT}:80"]
                environment: { PW: "${ADMIN_PASSWORD}" }
            """);
        result.AssertValid();
        ResolvedStack stack = result.Stack!;
        Assert.Equal(new CatalogInfo { Title = "Demo", Icon = "icon.svg" }, stack.Catalog);
        Assert.Equal(["ADMIN_PASSWORD", "PORT"], stack.Parameters.Select(p => p.Name));
        Assert.Equal(new ResolvedParameter("PORT", ParameterType.Port, "8080", false, null), stack.Parameters[1]);
        Assert.True(stack.Parameters[0].Generated);
        Assert.Equal(16, stack.Services[0].Environment.Single().Value.Length);
        Assert.Equal(8080, stack.Services[0].Ports[0].HostPort);
    }

    [Fact]
    public void Name_DefaultsToTheFolderName()
    {
        Assert.Equal("demo", StackTestHelpers.Load("services:\n  web:\n    image: nginx\n").Stack!.Name);
        Assert.Equal("mine", StackTestHelpers.Load("name: mine\nservices:\n  web:\n    image: nginx\n").Stack!.Name);
    }
}
