using Appliance.Web.Ui.Editor;

namespace Appliance.Web.Tests.Ui;

public sealed class StackLoaderValidatorTests
{
    private readonly StackLoaderValidator _validator = new();

    [Fact]
    public void Validate_ReturnsEveryError_AtItsPlace_WithoutWarnings()
    {
        IReadOnlyList<StackDiagnostic> errors = _validator.Validate(
            "version: \"3\"\nservices:\n  web:\n    image: nginx\n    ports: [\"8080:80\", \"8080:81\"]\n    depends_on: [db]\n  db:\n    image: postgres\n    depends_on: [web]\n",
            "demo/stack.yaml");
        Assert.Equal(2, errors.Count);
        Assert.Equal(new StackDiagnostic(5, 24, "services.web.ports[1]", errors[0].Message), errors[0]);
        Assert.Contains("already published", errors[0].Message);
        Assert.Equal(9, errors[1].Line);
        Assert.Contains("dependency cycle: web -> db -> web", errors[1].Message);
    }

    [Fact]
    public void Validate_ValidStack_ReturnsNothing() =>
        Assert.Empty(_validator.Validate("services:\n  web:\n    image: nginx\n    container_name: web\n", "demo/stack.yaml"));
}
