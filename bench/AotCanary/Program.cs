using System.Diagnostics;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.State;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

// The daemon's engine parts that lean on packages, compiled ahead of time: the state database (Microsoft.Data.Sqlite),
// the stack file parser (YamlDotNet), the scheduler (Quartz, made by DI as the daemon makes it) and the state
// repository's generated JSON. Each step prints what it did; any failure exits non-zero. Then it idles and prints its RSS.
//   AotCanary STATE_DIR STACK_FILE
if (args is not [string stateDir, string stackFile])
{
    Console.Error.WriteLine("usage: AotCanary STATE_DIR STACK_FILE");
    return 2;
}

await using (SqliteStateStore store = await SqliteStateStore.OpenAsync(stateDir))
{
    var stacks = new StackRepository(store);
    Console.WriteLine($"state: {store.DatabasePath} opened and migrated; {(await stacks.ListStacksAsync()).Count} stacks");
}

StackLoadResult loaded = StackLoader.Load(stackFile);
if (loaded.Stack is null)
{
    Console.Error.WriteLine($"stack file: {string.Join("; ", loaded.Errors.Select(e => e.ToString()))}");
    return 1;
}
Console.WriteLine($"stack file: {loaded.Stack.Name} with {loaded.Stack.Services.Count} services ({string.Join(", ", loaded.Stack.Services.Select(s => s.Name))})");

var services = new ServiceCollection();
services.AddSingleton<Counter>();
services.AddTransient<CountingJob>();
services.AddQuartz();
await using ServiceProvider provider = services.BuildServiceProvider();
IScheduler scheduler = await provider.GetRequiredService<ISchedulerFactory>().GetScheduler();
await scheduler.ScheduleJob(JobBuilder.Create<CountingJob>().WithIdentity("canary").UsingJobData("stack", "canary").Build(),
    TriggerBuilder.Create().StartNow().WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMilliseconds(100)).RepeatForever()).Build());
await scheduler.Start();
Counter counter = provider.GetRequiredService<Counter>();
var deadline = Stopwatch.StartNew();
while (counter.Fired < 5)
{
    if (deadline.Elapsed > TimeSpan.FromSeconds(10))
    {
        Console.Error.WriteLine($"scheduler: {counter.Fired} firings in 10 s");
        return 1;
    }
    await Task.Delay(50);
}
await scheduler.Shutdown(waitForJobsToComplete: true);
Console.WriteLine($"scheduler: {counter.Fired} firings of a job made by DI, with its job data ({counter.LastStack})");
Console.WriteLine("ok");
Thread.Sleep(Timeout.Infinite);
return 0;

internal sealed class Counter
{
    public int Fired;
    public string? LastStack;
}

internal sealed class CountingJob(Counter counter) : IJob
{
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        counter.LastStack = context.MergedJobDataMap.GetString("stack");
        Interlocked.Increment(ref counter.Fired);
        return ValueTask.CompletedTask;
    }
}
