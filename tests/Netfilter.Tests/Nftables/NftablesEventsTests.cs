using System.Buffers.Binary;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Tests.Nftables;

/// <summary>Which nftables event batches count as another process's change (messages built as the kernel sends them).</summary>
public sealed class NftablesEventsTests
{
    private const ushort NewTable = (10 << 8) | 0;
    private const ushort NewRule = (10 << 8) | 6;
    private const ushort NewGen = (10 << 8) | 15;
    private const int NotOurs = 0x7ffffff0; // no such thread here

    [Fact]
    public void OwnTransaction_IsNotAChange()
    {
        bool pending = false;
        Assert.False(NftablesEvents.ByAnotherProcess([.. Message(NewTable), .. Message(NewRule), .. Generation(Environment.ProcessId)], ref pending));
        Assert.False(pending);
    }

    [Fact]
    public void AnotherProcessTransaction_IsAChange()
    {
        bool pending = false;
        Assert.True(NftablesEvents.ByAnotherProcess([.. Message(NewTable), .. Generation(NotOurs)], ref pending));
    }

    [Fact]
    public void OwnThenAnother_IsAChange()
    {
        bool pending = false;
        Assert.True(NftablesEvents.ByAnotherProcess([.. Message(NewRule), .. Generation(Environment.ProcessId), .. Message(NewRule), .. Generation(NotOurs)], ref pending));
    }

    [Fact]
    public void ATransactionSplitOverTwoReads_IsJudgedByItsGeneration()
    {
        bool pending = false;
        Assert.False(NftablesEvents.ByAnotherProcess([.. Message(NewTable), .. Message(NewRule)], ref pending));
        Assert.True(pending);
        Assert.False(NftablesEvents.ByAnotherProcess([.. Message(NewRule), .. Generation(Environment.ProcessId)], ref pending));
        Assert.False(pending);

        Assert.False(NftablesEvents.ByAnotherProcess(Message(NewRule), ref pending));
        Assert.True(NftablesEvents.ByAnotherProcess(Generation(NotOurs), ref pending));
    }

    [Fact]
    public void Nothing_OrATruncatedMessage()
    {
        bool pending = false;
        Assert.False(NftablesEvents.ByAnotherProcess([], ref pending));
        Assert.False(pending);
        byte[] cut = [.. Message(NewTable), .. Generation(Environment.ProcessId)];
        Assert.True(NftablesEvents.ByAnotherProcess(cut.AsSpan(0, cut.Length - 4), ref pending));
    }

    /// <summary>nlmsghdr + nfgenmsg + attributes.</summary>
    private static byte[] Message(ushort type, params byte[][] attributes)
    {
        int length = 16 + 4 + attributes.Sum(a => a.Length);
        var m = new byte[length];
        BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), type);
        m[16] = 1; // NFPROTO_INET... any family
        int offset = 20;
        foreach (byte[] a in attributes)
        {
            a.CopyTo(m, offset);
            offset += a.Length;
        }
        return m;
    }

    /// <summary>NFT_MSG_NEWGEN with NFTA_GEN_ID, NFTA_GEN_PROC_PID (big endian) and NFTA_GEN_PROC_NAME.</summary>
    private static byte[] Generation(int task) => Message(NewGen, Attribute(1, BigEndian(42)), Attribute(2, BigEndian(task)), Attribute(3, "nft\0\0\0\0\0"u8.ToArray()));

    private static byte[] BigEndian(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        return b;
    }

    private static byte[] Attribute(ushort type, byte[] value)
    {
        var a = new byte[4 + ((value.Length + 3) & ~3)];
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(2), type);
        value.CopyTo(a, 4);
        return a;
    }
}
