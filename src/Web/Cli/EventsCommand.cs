using System.CommandLine;
using System.Globalization;
using Appliance.Web.Hosting;

namespace Appliance.Web.Cli;

/// <summary>`appliance events [--stack S] [--max N] [--follow]`, and `appliance events note MESSAGE`: the daemon's event log.</summary>
internal static class EventsCommand
{
    public static Command Create(Option<string?> socket)
    {
        var stack = new Option<string?>("--stack") { Description = "Only events of this stack." };
        var max = new Option<int>("--max", "-n") { Description = "How many of the newest events to show.", DefaultValueFactory = _ => 50 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events as they happen (Ctrl-C ends)." };
        var command = new Command("events", "Show what happened: deploys, restarts, health changes, autoheal, firewall changes.") { stack, max, follow };
        command.SetAction((parse, ct) => CliRun.WithDaemonAsync(parse.GetValue(socket), async client =>
        {
            string query = $"api/daemon/events?max={parse.GetValue(max)}" + (parse.GetValue(stack) is { } s ? $"&stack={Uri.EscapeDataString(s)}" : "");
            foreach (EventResponse e in await client.GetAsync<EventResponse[]>(query, ct))
            {
                Print(e);
            }
            if (parse.GetValue(follow))
            {
                string stream = "api/daemon/events/stream" + (parse.GetValue(stack) is { } f ? $"?stack={Uri.EscapeDataString(f)}" : "");
                await foreach (EventResponse e in client.StreamAsync<EventResponse>(stream, ct))
                {
                    Print(e);
                }
            }
            return 0;
        }));

        var message = new Argument<string>("message") { Description = "What to record, e.g. \"replaced disk 2\"." };
        var noteStack = new Option<string?>("--stack") { Description = "The stack it concerns." };
        var note = new Command("note", "Record a note in the event log.") { message, noteStack };
        note.SetAction((parse, ct) => CliRun.WithDaemonAsync(parse.GetValue(socket), async client =>
        {
            EventResponse stored = await client.SendJsonAsync<EventResponse>(HttpMethod.Post, "api/daemon/events",
                new NoteRequest(parse.GetValue(message)!, parse.GetValue(noteStack)), ct);
            Console.WriteLine($"recorded event {stored.Id}");
            return 0;
        }));
        command.Subcommands.Add(note);
        return command;
    }

    private static void Print(EventResponse e)
    {
        string where = e.Stack is null ? "" : e.Service is null ? $" {e.Stack}" : $" {e.Stack}/{e.Service}";
        string reason = e.Reason is null ? "" : $" ({e.Reason})";
        Console.WriteLine($"{e.Time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {e.Kind,-9}{where}: {e.Message}{reason}");
    }
}
