using Appliance.Web.Ui;
using Appliance.Web.Ui.Backend;
using Appliance.Web.Ui.Catalog;
using Appliance.Web.Ui.Editor;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Tests.Ui;

public sealed class ValidatorAndCatalogTests
{
    private readonly StackLoaderValidator _validator = new();

    [Fact]
    public void Validate_BadPortMapping_ReportsItsLineAndPath()
    {
        string yaml = "services:\n  gitlab:\n    image: gitlab/gitlab-ce:17\n    ports:\n      - \"8080:80\"\n      - \"10022:22:tcp\"\n";
        StackDiagnostic error = Assert.Single(_validator.Validate(yaml, "gitlab/stack.yaml"));
        Assert.Equal(6, error.Line);
        Assert.Equal("services.gitlab.ports[1]", error.KeyPath);
        Assert.Contains("'10022:22:tcp' is not a port mapping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReportsEveryError_NotTheFirst()
    {
        string yaml = "services:\n  web:\n    imagee: nginx\n  db:\n    image: postgres:16\n    privileged: true\nfoo: 1\n";
        IReadOnlyList<StackDiagnostic> errors = _validator.Validate(yaml, "x/stack.yaml");
        Assert.Contains(errors, e => e.Line == 3 && e.KeyPath == "services.web.imagee");
        Assert.Contains(errors, e => e.Line == 2 && e.KeyPath == "services.web");
        Assert.Contains(errors, e => e.Line == 6 && e.KeyPath == "services.db.privileged");
        Assert.Contains(errors, e => e.Line == 7 && e.KeyPath == "foo");
    }

    [Fact]
    public void Validate_YamlSyntaxError_HasItsLine()
    {
        StackDiagnostic error = Assert.Single(_validator.Validate("services:\n  web:\n    image: [nginx\n", "x"));
        Assert.True(error.Line >= 3, error.ToString());
        Assert.StartsWith("YAML syntax", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ValidStack_HasNoErrors()
        => Assert.Empty(_validator.Validate("name: ok\nservices:\n  web:\n    image: nginx\n    ports: [\"127.0.0.1:8080:80/tcp\", \"53:53/udp\", \"${PORT:-80}:80\"]\n", "x"));

    [Fact]
    public void Validate_PackagedTestStack_HasNoErrors()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "Appliance.sln")))
        {
            dir = dir.Parent;
        }
        string path = Path.Combine(dir.FullName, "tests", "stacks", "gitlab-probe", "stack.yaml");
        Assert.Empty(_validator.Validate(File.ReadAllText(path), path));
    }

    [Fact]
    public void Catalog_ReadsStacks_WithParametersSecretsAndIcon()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tbw{Guid.NewGuid().ToString("N")[..6]}-catalog");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "gitlab"));
            File.WriteAllText(Path.Combine(dir, "gitlab", "stack.yaml"),
                "services:\n  gitlab:\n    image: gitlab\n    ports: [\"${HTTP_PORT:-8080}:80\"]\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n" +
                "x-appliance:\n  catalog:\n    title: GitLab\n  parameters:\n    - name: HTTP_PORT\n      description: Web port\n      default: \"8080\"\n");
            File.WriteAllText(Path.Combine(dir, "gitlab", "README.md"), "# GitLab\n\nGit hosting with CI.\nSecond line.\n\nMore.");
            File.WriteAllText(Path.Combine(dir, "gitlab", "icon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
            Directory.CreateDirectory(Path.Combine(dir, "not-a-stack"));
            var catalog = new StackCatalog(Options.Create(new UiOptions { CatalogDir = dir }), NullLogger<StackCatalog>.Instance);

            CatalogEntry entry = Assert.Single(catalog.List());
            Assert.Equal("GitLab", entry.Title);
            Assert.Equal("Git hosting with CI. Second line.", entry.Description);
            Assert.StartsWith("data:image/svg+xml;base64,", entry.IconDataUri, StringComparison.Ordinal);
            Assert.Contains(entry.Parameters, p => p is { Name: "HTTP_PORT", Default: "8080", Secret: false });
            Assert.Contains(entry.Parameters, p => p is { Name: "DB_PASSWORD", Secret: true });
            Assert.Equal([8080], entry.DefaultHostPorts);
            Assert.Null(catalog.Find("../gitlab"));

            Dictionary<string, string> values = InstallPlanner.Fill(entry, null);
            Assert.True(values["DB_PASSWORD"].Length >= 20);
            Assert.NotEqual(values["DB_PASSWORD"], InstallPlanner.Fill(entry, null)["DB_PASSWORD"]);
            Assert.Contains("HTTP_PORT", Assert.Single(InstallPlanner.PortConflicts(entry, values, [8080])), StringComparison.Ordinal);
            values["HTTP_PORT"] = "8081";
            Assert.Empty(InstallPlanner.PortConflicts(entry, values, [8080]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("192.168.1.0/24", null)]
    [InlineData("192.168.1.300/24", "LAN subnets: '192.168.1.300/24'")]
    public void Settings_BadSubnet_IsNamed(string subnet, string? expected)
    {
        string? error = SettingsValidator.Validate(new NetworkSettings([subnet], [], "nftables"));
        if (expected is null)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.StartsWith(expected, error, StringComparison.Ordinal);
        }
    }
}
