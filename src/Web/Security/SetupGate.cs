using System.Security.Cryptography;
using System.Text;
using Appliance.Web.Ui;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Security;

/// <summary>
/// First-run setup: while no administrator exists, a one-time token (printed to the console/journal at start)
/// lets one person create the first one. It closes after <see cref="UiOptions.SetupWindow"/> or once used;
/// restart the daemon for a new token.
/// </summary>
public sealed partial class SetupGate(IAccountStore store, IOptions<UiOptions> options, TimeProvider time, ILogger<SetupGate> logger) : ISetupGate
{
    private readonly Lock _lock = new();
    private string? _token;
    private DateTimeOffset _deadline;
    private bool _used;

    /// <summary>The current token while setup is open (for the daemon's own tests).</summary>
    internal string? Token => IsOpen ? _token : null;

    public DateTimeOffset Deadline => _deadline;

    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _token is not null && !_used && time.GetUtcNow() < _deadline;
            }
        }
    }

    /// <summary>Opens setup with a fresh token when there is no administrator yet; logs the token.</summary>
    public async Task OpenIfNeededAsync(CancellationToken cancellationToken = default)
    {
        if ((await store.ListAccountsAsync(cancellationToken)).Count > 0)
        {
            return;
        }
        lock (_lock)
        {
            _token = AccountService.Base64Url(RandomNumberGenerator.GetBytes(24));
            _deadline = time.GetUtcNow() + options.Value.SetupWindow;
        }
        LogSetupToken(logger, _token, _deadline, (int)options.Value.SetupWindow.TotalMinutes);
    }

    public Task<SetupStatus> GetStatusAsync(CancellationToken cancellationToken = default) => Task.FromResult(new SetupStatus(IsOpen, Deadline));

    public Task<bool> TryConsumeAsync(string presented, CancellationToken cancellationToken = default) => Task.FromResult(TryConsume(presented));

    public Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        Release();
        return Task.CompletedTask;
    }

    /// <summary>Checks the token (constant time) and, if right, closes setup for good.</summary>
    public bool TryConsume(string presented)
    {
        lock (_lock)
        {
            if (_token is null || _used || time.GetUtcNow() >= _deadline)
            {
                return false;
            }
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented.Trim()), Encoding.UTF8.GetBytes(_token)))
            {
                return false;
            }
            _used = true;
            return true;
        }
    }

    /// <summary>Reopens setup with the same token when creating the account failed after the token was taken.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _used = false;
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "No administrator exists yet. First-run setup token: {Token} (valid until {Deadline:u}, {Minutes} minutes; open /setup in the browser)")]
    private static partial void LogSetupToken(ILogger logger, string token, DateTimeOffset deadline, int minutes);
}
