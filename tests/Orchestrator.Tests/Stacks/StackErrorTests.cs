using Appliance.Orchestrator.Stacks;

namespace Appliance.Orchestrator.Tests.Stacks;

/// <summary>Each kind of error a user can make, with the exact line and column it is reported at.</summary>
public sealed class StackErrorTests
{
    [Fact]
    public void Rejects_BadIndentation_AtTheMisplacedKey()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
               ports: ["80:80"]
            """);
        result.AssertError(4, 4, "", "YAML syntax error: While parsing a block mapping, did not find expected key. Check the indentation");
        Assert.Single(result.Errors);
    }

    [Fact]
    public void Rejects_UnclosedQuote_AtTheQuote()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: \"nginx\n    ports: []\n");
        result.AssertError(3, 12, "", "YAML syntax error");
    }

    [Fact]
    public void Rejects_UnclosedBracket_AfterTheLastGoodValue()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx\n    ports: [\"80:80\"\n  db:\n    image: x\n");
        result.AssertError(4, 12, "", "not closed");
    }

    [Fact]
    public void Rejects_TabIndentation_AtTheTab()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n  \timage: nginx\n");
        result.AssertError(3, 3, "", "tab character in the indentation");
        Assert.Single(result.Errors);
    }

    [Fact]
    public void Rejects_ControlCharacter_AtTheCharacter()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: ng\u0000inx\n");
        result.AssertError(3, 14, "", "character U+0000 is not allowed in a YAML file");
        Assert.Single(result.Errors);
    }

    [Fact]
    public void Rejects_Directory_AndMissingFile()
    {
        StackLoadResult directory = StackLoader.Load(Path.GetTempPath());
        directory.AssertError(1, 1, "", "this is a directory");
        StackLoadResult missing = StackLoader.Load("/nonexistent/appliance/stack.yaml");
        missing.AssertError(1, 1, "", "cannot read the stack file: no such file");
    }

    [Fact]
    public void Rejects_DuplicateKey_AtTheSecondOne()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                restart: always
                image: httpd
            """);
        result.AssertError(5, 5, "", "duplicate key 'image' (first written at line 3)");
    }

    [Fact]
    public void Rejects_WrongType_AtTheValue()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                ports: "80:80"
            """);
        result.AssertError(4, 12, "services.web.ports", "expected a list of port mappings");
    }

    [Fact]
    public void Rejects_UnknownDependency_WithSuggestion()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                depends_on:
                  - databse
              database:
                image: postgres
            """);
        result.AssertError(5, 9, "services.web.depends_on[0]", "'databse' is not a service of this stack; did you mean 'database'?");
    }

    [Fact]
    public void Rejects_DependencyCycle_NamingTheCycle()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              a:
                image: x
                depends_on: [b]
              b:
                image: x
                depends_on:
                  c:
                    condition: service_started
              c:
                image: x
                depends_on: [a]
            """);
        result.AssertError(12, 18, "services.c.depends_on[0]", "dependency cycle: a -> b -> c -> a");
        Assert.Single(result.Errors);
    }

    [Fact]
    public void Rejects_UndeclaredNamedVolume()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              db:
                image: postgres
                volumes:
                  - pgdata:/var/lib/postgresql/data
            volumes:
              other:
            """);
        result.AssertError(5, 9, "services.db.volumes[0]", "volume 'pgdata' is not declared (declared: other)");
    }

    [Theory]
    [InlineData("\"70000:80\"", "host port '70000'")]
    [InlineData("\"8080:0\"", "container port '0'")]
    [InlineData("\"99999\"", "container port '99999'")]
    public void Rejects_PortOutOfRange(string port, string part)
    {
        StackLoadResult result = StackTestHelpers.Load($"""
            services:
              web:
                image: nginx
                ports:
                  - {port}
            """);
        StackDiagnostic d = result.AssertError(5, 9, "services.web.ports[0]", part);
        Assert.Contains("out of range", d.Message);
    }

    [Fact]
    public void Rejects_SameHostPortPublishedTwice_AcrossServices()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                ports: ["8080:80", "53:53/udp"]
              api:
                image: api
                ports:
                  - "53:53"
                  - target: 8000
                    published: 8080
            """);
        result.AssertError(9, 9, "services.api.ports[1]", "host port 8080/tcp is already published by services.web.ports[0] (line 4, service 'web')");
        Assert.Single(result.Errors); // 53/udp and 53/tcp do not clash
    }

    [Fact]
    public void Accepts_SameHostPort_OnDifferentHostAddresses()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                ports: ["127.0.0.1:8080:80", "192.168.50.1:8080:80"]
            """);
        result.AssertValid();
    }

    [Fact]
    public void Rejects_SameHostPort_WhenOneIsOnEveryAddress()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                ports:
                  - "8080:80"
                  - "127.0.0.1:8080:81"
            """);
        result.AssertError(6, 9, "services.web.ports[1]", "already published");
    }

    [Fact]
    public void Rejects_MismatchedRangeSizes()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                ports: ["8000-8010:80-85"]
            """);
        result.AssertError(4, 13, "services.web.ports[0]", "maps 11 host port(s) to 6 container port(s); ranges must be the same size");
    }

    [Fact]
    public void Rejects_ProtocolAfterColon_WithTheFix()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              gitlab:
                image: gitlab
                ports:
                  - "10080:80"
                  - "10022:22:tcp"
            """);
        result.AssertError(6, 9, "services.gitlab.ports[1]", "write \"10022:22/tcp\"");
    }

    [Theory]
    [InlineData("interval: 30", "'30' is not a duration", 17)]
    [InlineData("interval: 5 minutes", "'5 minutes' is not a duration", 17)]
    [InlineData("timeout: 0s", "must be more than zero", 16)]
    [InlineData("retries: many", "'many' is not a retry count", 16)]
    public void Rejects_BadHealthcheckValues(string line, string message, int column)
    {
        StackLoadResult result = StackTestHelpers.Load($"""
            services:
              web:
                image: nginx
                healthcheck:
                  test: ["CMD", "true"]
                  {line}
            """);
        string key = line[..line.IndexOf(':')];
        result.AssertError(6, column, $"services.web.healthcheck.{key}", message);
    }

    [Theory]
    [InlineData("mem_limit: 12zb", "services.web.mem_limit", 16)]
    [InlineData("shm_size: lots", "services.web.shm_size", 15)]
    public void Rejects_BadSizes(string line, string path, int column)
    {
        StackLoadResult result = StackTestHelpers.Load($"""
            services:
              web:
                image: nginx
                {line}
            """);
        result.AssertError(4, column, path, "is not a size");
    }

    [Fact]
    public void Rejects_BadDependencyCondition()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                depends_on:
                  db:
                    condition: service_ready
              db:
                image: postgres
            """);
        result.AssertError(6, 20, "services.web.depends_on.db.condition", "expected service_started, service_healthy or service_completed_successfully");
    }

    [Theory]
    [InlineData("max-size: 1k", 6, 19, "services.web.logging.options.max-size", "too small; use at least 16k")]
    [InlineData("max-size: huge", 6, 19, "services.web.logging.options.max-size", "is not a size")]
    [InlineData("max-file: 0", 6, 19, "services.web.logging.options.max-file", "expected a whole number from 1 to 100")]
    public void Rejects_BadLogLimits(string line, int atLine, int atColumn, string path, string message)
    {
        StackLoadResult result = StackTestHelpers.Load($"""
            services:
              web:
                image: nginx
                logging:
                  options:
                    {line}
            """);
        result.AssertError(atLine, atColumn, path, message);
    }

    [Fact]
    public void Warns_OnAnotherLogDriver_AndOptionsThatDoNotApply()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                logging:
                  driver: syslog
                  options:
                    syslog-address: "udp://10.0.0.1:514"
                    max-size: 1m
            """);
        result.AssertAt(5, 15, StackDiagnosticSeverity.Warning, "services.web.logging.driver", "the 'syslog' log driver is ignored");
        result.AssertAt(7, 9, StackDiagnosticSeverity.Warning, "services.web.logging.options.syslog-address", "only max-size and max-file apply");
        result.AssertValid();
        Assert.Equal(1024 * 1024, Assert.Single(result.Stack!.Services).LogMaxSizeBytes);
    }

    [Theory]
    [InlineData("sometimes")]
    [InlineData("on-failure:x")]
    [InlineData("always:3")]
    public void Rejects_BadRestartPolicy(string value)
    {
        StackLoadResult result = StackTestHelpers.Load($"""
            services:
              web:
                image: nginx
                restart: {value}
            """);
        result.AssertError(4, 14, "services.web.restart", "is not a restart policy");
    }

    [Theory]
    [InlineData("version: \"3.8\"", 1, 1, "version")]
    [InlineData("    container_name: web", 4, 5, "services.web.container_name")]
    [InlineData("    links: [db]", 4, 5, "services.web.links")]
    [InlineData("    expose: [\"80\"]", 4, 5, "services.web.expose")]
    public void Warns_OnIgnoredKeys_ThatChangeNothingThatRuns(string line, int atLine, int atColumn, string path)
    {
        string yaml = atLine == 1
            ? $"{line}\nservices:\n  web:\n    image: nginx\n"
            : $"services:\n  web:\n    image: nginx\n{line}\n";
        StackLoadResult result = StackTestHelpers.Load(yaml);
        result.AssertAt(atLine, atColumn, StackDiagnosticSeverity.Warning, path, "is ignored");
        result.AssertValid();
    }

    [Theory]
    [InlineData("network_mode: host", "services.web.network_mode")]
    [InlineData("privileged: true", "services.web.privileged")]
    [InlineData("devices: [\"/dev/dri:/dev/dri\"]", "services.web.devices")]
    [InlineData("pid: host", "services.web.pid")]
    [InlineData("ipc: host", "services.web.ipc")]
    [InlineData("security_opt: [\"seccomp:unconfined\"]", "services.web.security_opt")]
    public void Rejects_UnsupportedKeys_ThatWouldChangeWhatRuns(string line, string path)
    {
        StackLoadResult result = StackTestHelpers.Load($"services:\n  web:\n    image: nginx\n    {line}\n");
        result.AssertError(4, 5, path, "is not supported by Appliance");
    }

    [Fact]
    public void Rejects_UnknownKey_WithSuggestion()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx\n    enviroment:\n      A: b\n");
        result.AssertError(4, 5, "services.web.enviroment", "unknown key 'enviroment'; did you mean 'environment'?");
    }

    [Fact]
    public void Rejects_BillionLaughs()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
            x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
            x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
            x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
            x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
            x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
            services:
              web:
                image: nginx
            """);
        result.AssertError(5, 6, "", "billion laughs");
    }

    [Fact]
    public void Rejects_AliasToUnknownAnchor()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx\n    environment: *env\n");
        result.AssertError(4, 18, "", "alias '*env' refers to no anchor");
    }

    [Fact]
    public void Rejects_DeepNesting()
    {
        string deep = new string('[', 200) + new string(']', 200);
        StackLoadResult result = StackTestHelpers.Load($"services:\n  web:\n    image: nginx\n    command: {deep}\n");
        StackDiagnostic d = Assert.Single(result.Errors);
        Assert.Equal(4, d.Line);
        Assert.Contains("nesting deeper than", d.Message);
    }

    [Fact]
    public void Rejects_RequiredVariable_WithItsMessage()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx\n    environment:\n      TOKEN: ${TOKEN:?set the API token}\n");
        result.AssertError(5, 14, "services.web.environment.TOKEN", "variable TOKEN is required: set the API token");
    }

    [Fact]
    public void Rejects_UndeclaredNetwork()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx\n    networks: [front]\n");
        result.AssertError(4, 16, "services.web.networks[0]", "network 'front' is not declared");
    }

    [Fact]
    public void Rejects_ExternalNetwork()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx\nnetworks:\n  proxy:\n    external: true\n");
        result.AssertError(6, 5, "networks.proxy.external", "cannot join a network outside itself");
    }

    [Fact]
    public void Rejects_ExposureRule_ForPortNotPublished()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            services:
              web:
                image: nginx
                ports: ["8080:80"]
                x-appliance:
                  ports:
                    "8443": internet
            """);
        result.AssertError(7, 9, "services.web.x-appliance.ports.8443", "host port 8443 is not published by service 'web' (published: 8080)");
    }

    [Fact]
    public void Rejects_BadExposureName()
    {
        StackLoadResult result = StackTestHelpers.Load("services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n    x-appliance:\n      exposure: public\n");
        result.AssertError(6, 17, "services.web.x-appliance.exposure", "expected host-only, lan or internet");
    }

    [Fact]
    public void Rejects_MissingImage_AndEmptyFile()
    {
        StackLoadResult noImage = StackTestHelpers.Load("services:\n  web:\n    restart: always\n");
        noImage.AssertError(2, 3, "services.web", "the service has no 'image:'");
        StackLoadResult empty = StackTestHelpers.Load("");
        empty.AssertError(1, 1, "", "the stack file is empty");
    }

    [Fact]
    public void Reports_EveryProblemAtOnce_SortedByLine()
    {
        StackLoadResult result = StackTestHelpers.Load("""
            version: "3"
            services:
              web:
                image: nginx
                restart: sometimes
                ports: ["70000:80", "8080:80", "8080:81"]
                depends_on: [ghost]
                volumes: ["nope:/data"]
                healthcheck:
                  test: ["CMD", "true"]
                  interval: 10
                mem_limit: huge
            """);
        Assert.Equal(7, result.Errors.Count());
        Assert.Single(result.Warnings);
        Assert.Equal(result.Diagnostics.OrderBy(d => d.Line).ThenBy(d => d.Column).Select(d => d.ToString()), result.Diagnostics.Select(d => d.ToString()));
        Assert.Equal("/tmp/appliance-stack-tests/demo/stack.yaml:5:14: error: services.web.restart: 'sometimes' is not a restart policy; expected \"no\", always, on-failure, on-failure:N (N retries) or unless-stopped", result.Errors.First().ToString());
    }
}
