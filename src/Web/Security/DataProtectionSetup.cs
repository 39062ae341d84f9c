using Appliance.Web.Ui;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Security;

/// <summary>
/// Keeps the keys that sign sign-in and antiforgery cookies in <c>STATE_DIR/keys</c>, so sessions survive a
/// daemon restart and the keys live with the rest of the appliance's state (root-only), not in $HOME.
/// </summary>
internal sealed class DataProtectionSetup(IOptions<UiOptions> options, ILoggerFactory loggers) : IConfigureOptions<KeyManagementOptions>
{
    public void Configure(KeyManagementOptions keys)
    {
        var dir = new DirectoryInfo(Path.Combine(options.Value.StateDir, "keys"));
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        keys.XmlRepository = new FileSystemXmlRepository(dir, loggers);
    }
}
