using System.CommandLine;
using Appliance.Orchestrator.Stacks;

namespace Appliance.Web.Cli;

/// <summary>`appliance stack ...`: verbs on stack files. `validate` works offline: no daemon, no root.</summary>
internal static class StackCommand
{
    public static Command Create(Option<string?> socket)
    {
        var stack = new Command("stack", "Work with stack files (a Compose subset plus x-appliance).");
        stack.Subcommands.Add(Validate());
        StackEngineCommands.AddTo(stack, socket);
        return stack;
    }

    private static Command Validate()
    {
        var files = new Argument<string[]>("FILE") { Description = "Stack files to check.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check stack files and print every problem as FILE:LINE:COL: error|warning: key.path: message. Exits 1 if any error.") { files };
        command.SetAction(parse =>
        {
            bool anyError = false;
            foreach (string file in parse.GetValue(files) ?? [])
            {
                StackLoadResult result = StackLoader.Load(file);
                foreach (StackDiagnostic diagnostic in result.Diagnostics)
                {
                    Console.Out.WriteLine(diagnostic.ToString());
                }
                int errors = result.Errors.Count();
                int warnings = result.Warnings.Count();
                anyError |= errors > 0;
                Console.Error.WriteLine(errors == 0
                    ? $"{file}: valid, {result.Stack!.Services.Count} service(s), {warnings} warning(s)"
                    : $"{file}: {errors} error(s), {warnings} warning(s)");
            }
            return anyError ? 1 : 0;
        });
        return command;
    }
}
