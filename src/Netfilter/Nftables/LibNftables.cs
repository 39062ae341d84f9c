using System.Runtime.InteropServices;

namespace Appliance.Netfilter.Nftables;

/// <summary>libnftables.so.1 (libnftables(3)). C names; callers go through <see cref="NftContext"/>.</summary>
internal static partial class LibNftables
{
    private const string Library = "libnftables.so.1";

    public const uint NFT_CTX_DEFAULT = 0;
    public const uint NFT_CTX_OUTPUT_HANDLE = 1 << 3;
    public const uint NFT_CTX_OUTPUT_JSON = 1 << 4;
    public const uint NFT_CTX_OUTPUT_STATELESS = 1 << 2;

    [LibraryImport(Library)]
    public static partial IntPtr nft_ctx_new(uint flags);

    [LibraryImport(Library)]
    public static partial void nft_ctx_free(IntPtr ctx);

    [LibraryImport(Library)]
    public static partial uint nft_ctx_output_get_flags(NftContextHandle ctx);

    [LibraryImport(Library)]
    public static partial void nft_ctx_output_set_flags(NftContextHandle ctx, uint flags);

    [LibraryImport(Library)]
    public static partial int nft_ctx_buffer_output(NftContextHandle ctx);

    [LibraryImport(Library)]
    public static partial IntPtr nft_ctx_get_output_buffer(NftContextHandle ctx);

    [LibraryImport(Library)]
    public static partial int nft_ctx_buffer_error(NftContextHandle ctx);

    [LibraryImport(Library)]
    public static partial IntPtr nft_ctx_get_error_buffer(NftContextHandle ctx);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int nft_run_cmd_from_buffer(NftContextHandle ctx, string buffer);
}
