namespace Appliance.Orchestrator.Images;

/// <summary>Where one layer of a pull is.</summary>
public enum LayerState
{
    /// <summary>Waiting for a download slot.</summary>
    Waiting,

    /// <summary>Bytes arriving; unpacked as they stream.</summary>
    Downloading,

    /// <summary>Downloaded, verified and unpacked.</summary>
    Done,

    /// <summary>Already in the store: nothing downloaded.</summary>
    AlreadyPresent,

    Failed,
}

/// <summary>Progress of one layer of a pull: compressed bytes done of total.</summary>
public sealed record LayerProgress(string Digest, LayerState State, long Done, long Total)
{
    public string ShortDigest => Digest.Length > 19 ? Digest[7..19] : Digest;
}
