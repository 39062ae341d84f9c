using Appliance.TestSupport;

// Runs after the whole suite (test.sh). Fails the run if any test of this run left something behind. test.sh keeps a
// ledger of the prefixes this run issued; things with another test prefix (an earlier run that was killed, or a run
// beside this one) are listed, with how to remove them, but do not fail this run.
IReadOnlyList<string>? issued = TestPrefix.IssuedThisRun();
IReadOnlyList<string> leaks = await LeakGuard.ScanAsync(issued is null ? TestPrefix.Any() : TestPrefix.OneOf(issued));
if (issued is not null)
{
    string[] others = [.. (await LeakGuard.ScanAsync(TestPrefix.Any())).Except(leaks)];
    if (others.Length > 0)
    {
        Console.Error.WriteLine($"leak guard: {others.Length} thing(s) with a test prefix this run did not issue (left by an interrupted " +
            "earlier run, or made by a run beside this one); not counted. Remove them by name once no run uses them:");
        foreach (string other in others)
        {
            Console.Error.WriteLine("  - " + other);
        }
    }
}
if (leaks.Count == 0)
{
    Console.WriteLine(issued is null
        ? "leak guard: nothing with a test prefix is left on this machine"
        : $"leak guard: nothing of this run's {issued.Count} test prefixes is left on this machine");
    return 0;
}
Console.Error.WriteLine($"leak guard: {leaks.Count} thing(s) left behind by tests (a teardown leaked):");
foreach (string leak in leaks)
{
    Console.Error.WriteLine("  - " + leak);
}
return 1;
