using Appliance.Web.Ui.Backend;
using Microsoft.AspNetCore.Components;

namespace Appliance.Web.Components.Shared;

/// <summary>
/// A page that shows a snapshot and then follows the backend's event stream (no polling):
/// each relevant event calls <see cref="OnEventAsync"/> and re-renders; the stream is cancelled on dispose.
/// </summary>
public abstract class LivePage : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _lifetime = new();

    [Inject]
    protected IApplianceBackend Backend { get; set; } = default!;

    protected CancellationToken Lifetime => _lifetime.Token;

    /// <summary>Set when the live stream broke; shown by the page.</summary>
    protected string? StreamError { get; private set; }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _ = FollowAsync();
        }
    }

    protected virtual bool IsRelevant(ApplianceEvent e) => true;

    protected abstract Task OnEventAsync(ApplianceEvent e);

    private async Task FollowAsync()
    {
        try
        {
            await foreach (ApplianceEvent e in Backend.WatchAsync(Lifetime))
            {
                if (IsRelevant(e))
                {
                    await InvokeAsync(async () =>
                    {
                        await OnEventAsync(e);
                        StateHasChanged();
                    });
                }
            }
        }
        catch (OperationCanceledException) when (Lifetime.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            StreamError = $"Live updates stopped: {e.Message}. Reload the page to resume.";
            await InvokeAsync(StateHasChanged);
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        _lifetime.Dispose();
        GC.SuppressFinalize(this);
    }
}
