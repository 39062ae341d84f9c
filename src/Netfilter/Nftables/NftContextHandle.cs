using System.Runtime.InteropServices;

namespace Appliance.Netfilter.Nftables;

/// <summary>An <c>struct nft_ctx *</c>, freed with nft_ctx_free.</summary>
internal sealed class NftContextHandle : SafeHandle
{
    public NftContextHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public static NftContextHandle Create()
    {
        IntPtr ctx = LibNftables.nft_ctx_new(LibNftables.NFT_CTX_DEFAULT);
        var result = new NftContextHandle();
        result.SetHandle(ctx);
        return result;
    }

    protected override bool ReleaseHandle()
    {
        LibNftables.nft_ctx_free(handle);
        return true;
    }
}
