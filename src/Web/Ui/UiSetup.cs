namespace Appliance.Web.Ui;

/// <summary>Registers and maps the browser UI, the REST API and their security (filled by the UI work).</summary>
public static class UiSetup
{
    public static IServiceCollection AddApplianceUi(this IServiceCollection services) => services;

    public static WebApplication MapApplianceUi(this WebApplication app) => app;
}
