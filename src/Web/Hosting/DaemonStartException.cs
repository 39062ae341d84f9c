namespace Appliance.Web.Hosting;

/// <summary>The daemon cannot start; the message says why and what to do. `appliance serve` prints it and exits 1.</summary>
public sealed class DaemonStartException(string message, Exception? inner = null) : Exception(message, inner);
