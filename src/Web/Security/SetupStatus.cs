namespace Appliance.Web.Security;

/// <summary>Whether first-run setup is open, and until when (<see cref="DateTimeOffset.MinValue"/> when it never opened).</summary>
public sealed record SetupStatus(bool IsOpen, DateTimeOffset Deadline);
