using System.Text.Json.Nodes;

namespace Appliance.Netfilter.Nftables;

/// <summary>One element of a set (Value null) or map of Appliance's table, in libnftables JSON.</summary>
internal sealed class NftElement
{
    public NftElement(JsonNode key, JsonNode? value = null)
    {
        Key = key;
        Value = value;
        KeyText = NftJson.Canonical(key);
        Text = value is null ? KeyText : KeyText + " : " + NftJson.Canonical(value);
    }

    public JsonNode Key { get; }

    public JsonNode? Value { get; }

    /// <summary>Canonical JSON of the key: identifies the element (a map key has one value).</summary>
    public string KeyText { get; }

    /// <summary>Canonical JSON of key and value.</summary>
    public string Text { get; }

    /// <summary>The element as in an <c>add element</c> command (maps: [key, value]).</summary>
    public JsonNode ToJson() => Value is null ? Key.DeepClone() : new JsonArray(Key.DeepClone(), Value.DeepClone());

    public override string ToString() => Text;
}
