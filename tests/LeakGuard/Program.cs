using Appliance.TestSupport;

// Runs after the whole suite (test.sh). Fails the run if any test left something behind.
IReadOnlyList<string> leaks = await LeakGuard.ScanAsync(TestPrefix.Any());
if (leaks.Count == 0)
{
    Console.WriteLine("leak guard: nothing with a test prefix is left on this machine");
    return 0;
}
Console.Error.WriteLine($"leak guard: {leaks.Count} thing(s) left behind by tests (a teardown leaked):");
foreach (string leak in leaks)
{
    Console.Error.WriteLine("  - " + leak);
}
return 1;
