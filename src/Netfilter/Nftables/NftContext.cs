using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Linux;

namespace Appliance.Netfilter.Nftables;

/// <summary>
/// One libnftables context bound to one network namespace. libnftables opens its netlink socket
/// in <c>nft_ctx_new</c> (checked: a context created inside a namespace keeps acting there from
/// any thread); still, every call runs on one dedicated thread that stays inside the namespace
/// (<see cref="NamespaceThread"/>), since a context is not thread-safe. JSON in, JSON out: the
/// output flags include JSON (libnftables 1.0.6 parses JSON input only then), output and errors
/// are buffered and read back.
/// </summary>
internal sealed class NftContext : IAsyncDisposable
{
    private readonly NamespaceThread _thread;
    private readonly NftContextHandle _handle;

    private NftContext(NamespaceThread thread, NftContextHandle handle)
    {
        _thread = thread;
        _handle = handle;
    }

    public NetworkNamespace Namespace => _thread.Namespace;

    public static async Task<NftContext> CreateAsync(NetworkNamespace ns, CancellationToken cancellationToken = default)
    {
        var thread = new NamespaceThread(ns, "nft");
        try
        {
            NftContextHandle handle = await thread.InvokeAsync(() =>
            {
                NftContextHandle h = NftContextHandle.Create();
                if (h.IsInvalid)
                {
                    throw new NftablesException("create context", ns.Path, "nft_ctx_new returned NULL (is libnftables.so.1 installed?)");
                }
                LibNftables.nft_ctx_output_set_flags(h, LibNftables.NFT_CTX_OUTPUT_JSON | LibNftables.NFT_CTX_OUTPUT_HANDLE);
                if (LibNftables.nft_ctx_buffer_output(h) != 0 || LibNftables.nft_ctx_buffer_error(h) != 0)
                {
                    h.Dispose();
                    throw new NftablesException("create context", ns.Path, "could not buffer libnftables output");
                }
                return h;
            }, cancellationToken);
            return new NftContext(thread, handle);
        }
        catch
        {
            await thread.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs one JSON command buffer (one transaction); returns the JSON output, if any.</summary>
    public Task<JsonNode?> RunAsync(JsonObject commands, string operation, CancellationToken cancellationToken = default) =>
        RunAsync(commands.ToJsonString(NftJson.Compact), operation, cancellationToken);

    public Task<JsonNode?> RunAsync(string json, string operation, CancellationToken cancellationToken = default) =>
        _thread.InvokeAsync(() => Run(json, operation), cancellationToken);

    /// <summary>Runs on the context's thread; for callers already there (timing-sensitive paths).</summary>
    private JsonNode? Run(string json, string operation)
    {
        int rc = LibNftables.nft_run_cmd_from_buffer(_handle, json);
        string output = Marshal.PtrToStringUTF8(LibNftables.nft_ctx_get_output_buffer(_handle)) ?? "";
        string error = Marshal.PtrToStringUTF8(LibNftables.nft_ctx_get_error_buffer(_handle)) ?? "";
        if (rc != 0)
        {
            throw new NftablesException(operation, Namespace.Path, error.Length > 0 ? error : $"nft_run_cmd_from_buffer returned {rc}");
        }
        return output.Length == 0 ? null : JsonNode.Parse(output);
    }

    /// <summary>Lists one table as JSON, or null when it does not exist.</summary>
    public async Task<JsonArray?> ListTableAsync(string table, CancellationToken cancellationToken = default)
    {
        var list = new JsonObject
        {
            ["nftables"] = new JsonArray(new JsonObject
            {
                ["list"] = new JsonObject { ["table"] = new JsonObject { ["family"] = NftJson.Family, ["name"] = table } },
            }),
        };
        try
        {
            JsonNode? output = await RunAsync(list, $"list table inet {table}", cancellationToken);
            return output?["nftables"]?.AsArray();
        }
        catch (NftablesException e) when (e.NftError.Contains("No such file or directory", StringComparison.Ordinal))
        {
            return null;
        }
    }

    /// <summary>
    /// Lists one table in nft's text syntax, for people to read (never parsed), or null when it does not exist.
    /// The JSON output flag is dropped for this one command and restored on the context's thread.
    /// </summary>
    public Task<string?> ListTableTextAsync(string table, CancellationToken cancellationToken = default) =>
        _thread.InvokeAsync<string?>(() =>
        {
            LibNftables.nft_ctx_output_set_flags(_handle, 0);
            try
            {
                int rc = LibNftables.nft_run_cmd_from_buffer(_handle, $"list table inet {table}");
                string output = Marshal.PtrToStringUTF8(LibNftables.nft_ctx_get_output_buffer(_handle)) ?? "";
                string error = Marshal.PtrToStringUTF8(LibNftables.nft_ctx_get_error_buffer(_handle)) ?? "";
                if (rc != 0)
                {
                    return error.Contains("No such file or directory", StringComparison.Ordinal) ? null
                        : throw new NftablesException($"list table inet {table}", Namespace.Path, error.Length > 0 ? error : $"nft_run_cmd_from_buffer returned {rc}");
                }
                return output;
            }
            finally
            {
                LibNftables.nft_ctx_output_set_flags(_handle, LibNftables.NFT_CTX_OUTPUT_JSON | LibNftables.NFT_CTX_OUTPUT_HANDLE);
            }
        }, cancellationToken);

    /// <summary>Lists the whole ruleset as JSON (read only).</summary>
    public async Task<JsonArray> ListRulesetAsync(CancellationToken cancellationToken = default)
    {
        var list = new JsonObject { ["nftables"] = new JsonArray(new JsonObject { ["list"] = new JsonObject { ["ruleset"] = null } }) };
        JsonNode? output = await RunAsync(list, "list ruleset", cancellationToken);
        return output?["nftables"]?.AsArray() ?? [];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _thread.InvokeAsync(() => _handle.Dispose());
        }
        finally
        {
            await _thread.DisposeAsync();
        }
    }
}
