using System.Diagnostics;

namespace Appliance.Web.Hosting;

/// <summary>
/// Deterministic fault injection for the crash-recovery tests: with <c>APPLIANCE_TEST_CRASH_AFTER_STEP=STACK:STEP</c>
/// the daemon SIGKILLs itself right after step STEP of a deploy of STACK succeeded. STEP is a plan step's wire value
/// (<c>up</c>, <c>verify</c>, <c>commit</c>, ...) or an engine step's name (<c>CreateNetwork</c>, <c>StartContainer</c>, ...;
/// the first service to finish it). Honoured only when <c>APPLIANCE_TEST_PREFIX</c> says a test started the daemon.
/// </summary>
public sealed record TestCrashPoint(string Stack, string Step)
{
    public const string EnvironmentVariable = "APPLIANCE_TEST_CRASH_AFTER_STEP";

    /// <summary>The crash point the environment asks for, or null (no test, none asked, or not STACK:STEP: then a warning).</summary>
    public static TestCrashPoint? FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable("APPLIANCE_TEST_PREFIX") is null || Environment.GetEnvironmentVariable(EnvironmentVariable) is not { Length: > 0 } value)
        {
            return null;
        }
        string[] parts = value.Split(':', 2);
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            Console.Error.WriteLine($"appliance serve: {EnvironmentVariable}='{value}' is not STACK:STEP (e.g. gitlab:CreateNetwork); ignored");
            return null;
        }
        return new TestCrashPoint(parts[0], parts[1]);
    }

    /// <summary>Dies by SIGKILL (no cleanup, no flushing but this line) when <paramref name="step"/> of <paramref name="stack"/> is the crash point.</summary>
    public void After(string stack, string step)
    {
        if (stack == Stack && step == Step)
        {
            Console.Error.WriteLine($"appliance serve: test crash point: SIGKILL after step '{step}' of '{stack}'");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill(); // SIGKILL on Linux
        }
    }
}
