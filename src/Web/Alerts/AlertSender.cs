using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Web.Ui;
using Appliance.Web.Ui.Backend;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Alerts;

/// <summary>Where alerts go: a webhook URL the owner gave (Gotify, a Slack, Discord or Mattermost hook, a script); none is off.</summary>
public sealed record AlertSettings(string? WebhookUrl);

/// <summary>One alert as posted: title and message, plus the same as <c>text</c> (Slack, Mattermost) and <c>content</c>
/// (Discord), and where it comes from.</summary>
public sealed record AlertPayload(string Title, string Message, string Text, string Content, string Kind, string? Stack, string? Service,
    DateTimeOffset Time, string Host);

/// <summary>The last delivery attempt, shown on the Settings page (STATE/alert-delivery.json).</summary>
public sealed record AlertDelivery(DateTimeOffset Time, bool Succeeded, string Detail);

/// <summary>
/// Sends alerts (autoheal giving up, a deploy rolled back, a firewall roll-back failing...) to the owner's webhook, so a box
/// that runs unattended tells someone. Settings live in STATE/alerts.json. A POST with a JSON body; 10 s per attempt. The
/// last attempt is kept in STATE/alert-delivery.json: the daemon sends the alerts, and the UI, in a process of its own,
/// shows what it last sent.
/// </summary>
public sealed partial class AlertSender(IOptions<UiOptions> options, TimeProvider time, ILogger<AlertSender> logger) : IDisposable
{
    /// <summary>alerts.json and the webhook's body: web names, generated at build time.</summary>
    [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
    [JsonSerializable(typeof(AlertSettings))]
    [JsonSerializable(typeof(AlertPayload))]
    [JsonSerializable(typeof(AlertDelivery))]
    private sealed partial class AlertJson : JsonSerializerContext;

    // Made at the first alert: most daemons never send one, and System.Net.Http costs ~1 MB resident once loaded (a field
    // of type HttpClient, even a Lazy one, loads it with this class).
    private Webhook? _webhook;
    private object? _webhookLock;

    private string SettingsPath => Path.Combine(options.Value.StateDir, "alerts.json");

    private string DeliveryPath => Path.Combine(options.Value.StateDir, "alert-delivery.json");

    /// <summary>The last attempt of this process to deliver an alert, if any since it started.</summary>
    public AlertDelivery? LastDelivery { get; private set; }

    /// <summary>The last attempt to deliver an alert, by whichever process made it (the daemon's alerts, a test from the UI).</summary>
    public async Task<AlertDelivery?> GetLastDeliveryAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using FileStream stream = File.OpenRead(DeliveryPath);
            return await JsonSerializer.DeserializeAsync(stream, AlertJson.Default.AlertDelivery, cancellationToken) ?? LastDelivery;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return LastDelivery; // none was made since the state dir was created, or only by this process before it could be saved
        }
        catch (JsonException)
        {
            return LastDelivery; // not a delivery record (edited by hand; ours are written aside and moved in whole): this process's own
        }
    }

    public async Task<AlertSettings> GetAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(SettingsPath))
        {
            return new AlertSettings(null);
        }
        try
        {
            await using FileStream stream = File.OpenRead(SettingsPath);
            return await JsonSerializer.DeserializeAsync(stream, AlertJson.Default.AlertSettings, cancellationToken) ?? new AlertSettings(null);
        }
        catch (JsonException)
        {
            return new AlertSettings(null);
        }
    }

    public async Task<OperationResult> SaveAsync(AlertSettings settings, CancellationToken cancellationToken = default)
    {
        string? url = string.IsNullOrWhiteSpace(settings.WebhookUrl) ? null : settings.WebhookUrl.Trim();
        if (url is not null && Validate(url) is { } error)
        {
            return OperationResult.Fail(error);
        }
        Directory.CreateDirectory(options.Value.StateDir);
        string temp = SettingsPath + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(new AlertSettings(url), AlertJson.Default.AlertSettings), cancellationToken);
        File.Move(temp, SettingsPath, overwrite: true);
        return OperationResult.Ok(url is null ? "Saved: alerts are off (they stay in the events)." : "Saved: alerts go to the webhook.");
    }

    /// <summary>Why <paramref name="url"/> cannot be a webhook, or null when it can.</summary>
    public static string? Validate(string url) =>
        url.Length > 2000 ? "Webhook URL: at most 2000 characters."
        : !Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
            ? $"Webhook URL: '{(url.Length > 60 ? url[..60] + "…" : url)}' is not an http(s) URL; e.g. https://gotify.example/message?token=..."
        : null;

    /// <summary>Posts one alert to the webhook; false with the reason when none is set or it did not take it.</summary>
    public async Task<OperationResult> SendAsync(string kind, string? stack, string? service, string message, CancellationToken cancellationToken = default)
    {
        AlertSettings settings = await GetAsync(cancellationToken);
        if (settings.WebhookUrl is not { } url)
        {
            return OperationResult.Fail("No webhook URL is set; enter one under Alerts and save it first.");
        }
        string where = stack is null ? "the appliance" : service is null ? stack : $"{stack}/{service}";
        string title = $"Appliance on {Environment.MachineName}: {where}";
        var payload = new AlertPayload(title, message, $"{title}: {message}", $"{title}: {message}", kind, stack, service, time.GetUtcNow(),
            Environment.MachineName);
        AlertDelivery delivery;
        try
        {
            // A plain body with its length (not chunked): small webhook receivers often read only Content-Length.
            using var body = new StringContent(JsonSerializer.Serialize(payload, AlertJson.Default.AlertPayload), System.Text.Encoding.UTF8, "application/json");
            HttpClient http = LazyInitializer.EnsureInitialized(ref _webhook, ref _webhookLock, () => new Webhook()).Http;
            using HttpResponseMessage response = await http.PostAsync(url, body, cancellationToken);
            delivery = new AlertDelivery(time.GetUtcNow(), response.IsSuccessStatusCode,
                $"{(int)response.StatusCode} {response.ReasonPhrase}".Trim());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            delivery = new AlertDelivery(time.GetUtcNow(), false, e is TaskCanceledException ? "no answer within 10 s" : e.Message);
        }
        LastDelivery = delivery;
        await SaveDeliveryAsync(delivery);
        return delivery.Succeeded
            ? OperationResult.Ok($"Sent; the webhook answered {delivery.Detail}.")
            : OperationResult.Fail($"Not delivered: the webhook at {new Uri(url).GetLeftPart(UriPartial.Authority)} answered {delivery.Detail}.");
    }

    /// <summary>Written aside and moved into place (a reader never sees half of it); the process id keeps the daemon's and the
    /// UI's writes apart. The delivery happened whether or not this works: a failure is logged, not the sender's.</summary>
    private async Task SaveDeliveryAsync(AlertDelivery delivery)
    {
        string temp = $"{DeliveryPath}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(options.Value.StateDir);
            await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(delivery, AlertJson.Default.AlertDelivery), CancellationToken.None);
            File.Move(temp, DeliveryPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogDeliveryNotSaved(logger, DeliveryPath, e.Message);
        }
    }

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "The last alert delivery could not be saved to '{Path}' ({Reason}); the Settings page may show an older one")]
    private static partial void LogDeliveryNotSaved(ILogger logger, string path, string reason);

    public void Dispose() => _webhook?.Http.Dispose();

    private sealed class Webhook
    {
        public HttpClient Http { get; } = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
    }
}
