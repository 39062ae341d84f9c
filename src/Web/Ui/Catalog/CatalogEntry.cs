namespace Appliance.Web.Ui.Catalog;

/// <summary>A packaged stack from the catalog folder: <c>NAME/stack.yaml</c>, <c>README.md</c>, <c>icon.svg|png</c>.</summary>
public sealed record CatalogEntry(
    string Name,
    string Title,
    string Description,
    string? IconDataUri,
    string StackYaml,
    IReadOnlyList<CatalogParameter> Parameters,
    IReadOnlyList<int> DefaultHostPorts);

/// <summary>A value asked for at install time. <see cref="Secret"/> ones are generated and pre-filled.</summary>
public sealed record CatalogParameter(string Name, string Description, string? Default, bool Secret);
