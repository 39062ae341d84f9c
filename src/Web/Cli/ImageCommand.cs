using System.CommandLine;
using Appliance.Orchestrator.Images;

namespace Appliance.Web.Cli;

/// <summary>`appliance image pull|ls|rm|login`: the image store under the state directory.</summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var stateDir = new Option<string>("--state-dir")
        {
            Description = "Where Appliance keeps its state (images under STATE/images).",
            DefaultValueFactory = _ => "/var/lib/appliance",
            Recursive = true,
        };
        var image = new Command("image", "Pull, list and remove container images.") { stateDir };
        image.Subcommands.Add(Pull(stateDir));
        image.Subcommands.Add(List(stateDir));
        image.Subcommands.Add(Remove(stateDir));
        image.Subcommands.Add(Login(stateDir));
        return image;
    }

    private static ImageStore Open(ParseResult parse)
    {
        string state = parse.GetValue<string>("--state-dir")!;
        return new ImageStore(new ImageStoreOptions
        {
            Root = Path.Combine(state, "images"),
            Credentials = new RegistryCredentialStore(Path.Combine(state, "registries.json")),
        });
    }

    private static Command Pull(Option<string> stateDir)
    {
        var reference = new Argument<string>("reference") { Description = "The image, e.g. postgres:15 or 127.0.0.1:5000/app@sha256:…" };
        var command = new Command("pull", "Pull an image (only missing layers are downloaded), showing live progress per layer.") { reference };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ImageStore store = Open(parse);
            var display = new PullDisplay(Console.Out, !Console.IsOutputRedirected);
            try
            {
                ImagePull pull = store.StartPull(parse.GetValue(reference)!, cancellationToken);
                await foreach (LayerProgress progress in pull.Progress.WithCancellation(cancellationToken))
                {
                    display.Update(progress);
                }
                Image result = await pull.Completion;
                display.Finish();
                Console.WriteLine($"{result.References[0]}: {result.ManifestDigest} (id {result.Id[7..19]}, {Size(result.Size)})");
                return 0;
            }
            catch (ImageException e)
            {
                display.Finish();
                Console.Error.WriteLine($"appliance image pull: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command List(Option<string> stateDir)
    {
        var command = new Command("ls", "List the images in the store.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ImageStore store = Open(parse);
            IReadOnlyList<Image> images = await store.ListAsync(cancellationToken);
            Console.WriteLine($"{"REFERENCE",-60} {"ID",-12} {"LAYERS",6} {"SIZE",10}");
            foreach (Image image in images)
            {
                IEnumerable<string> names = image.References.Count > 0 ? image.References : ["<none>"];
                foreach (string name in names)
                {
                    Console.WriteLine($"{name,-60} {image.Id[7..19],-12} {image.Layers.Count,6} {Size(image.Size),10}");
                }
            }
            return 0;
        });
        return command;
    }

    private static Command Remove(Option<string> stateDir)
    {
        var reference = new Argument<string>("reference") { Description = "A reference or an image id (12+ hex digits)." };
        var command = new Command("rm", "Remove an image reference; content no image uses any more is deleted.") { reference };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ImageStore store = Open(parse);
            try
            {
                await store.RemoveAsync(parse.GetValue(reference)!, cancellationToken);
                GarbageCollection gc = await store.CollectGarbageAsync(cancellationToken);
                Console.WriteLine($"removed {parse.GetValue(reference)}; freed {Size(gc.BytesFreed)}");
                return 0;
            }
            catch (ImageException e)
            {
                Console.Error.WriteLine($"appliance image rm: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Login(Option<string> stateDir)
    {
        var registry = new Argument<string>("registry") { Description = "Registry host, e.g. docker.io or registry.example.com:5000." };
        var user = new Option<string>("--username") { Description = "User name.", Required = true };
        var command = new Command("login", "Save a registry login (the password is read from standard input).") { registry, user };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string state = parse.GetValue<string>("--state-dir")!;
            string password = (await Console.In.ReadLineAsync(cancellationToken))?.TrimEnd('\r', '\n') ?? "";
            if (password.Length == 0)
            {
                Console.Error.WriteLine("appliance image login: no password on standard input (echo PASSWORD | appliance image login REGISTRY --username USER)");
                return 1;
            }
            new RegistryCredentialStore(Path.Combine(state, "registries.json"))
                .Save(parse.GetValue(registry)!, new RegistryCredential(parse.GetValue(user)!, password));
            Console.WriteLine($"saved the login for {parse.GetValue(registry)}");
            return 0;
        });
        return command;
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1 << 30 => $"{bytes / (double)(1 << 30):0.0} GB",
        >= 1 << 20 => $"{bytes / (double)(1 << 20):0.0} MB",
        >= 1 << 10 => $"{bytes / 1024.0:0.0} kB",
        _ => $"{bytes} B",
    };
}
