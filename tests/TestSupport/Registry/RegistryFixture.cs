using Xunit;

namespace Appliance.TestSupport.Registry;

/// <summary>
/// One local registry with the small test images pushed, shared by every test of a collection:
/// declare <c>[CollectionDefinition(RegistryFixture.Collection)] class X : ICollectionFixture&lt;RegistryFixture&gt;;</c>
/// once in a test assembly, put <c>[Collection(RegistryFixture.Collection)]</c> on the test classes and take a
/// <see cref="RegistryFixture"/> in their constructor. Started before the first of them, stopped after the last.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public const string Collection = "local registry";

    private LocalRegistry? _registry;

    public LocalRegistry Registry => _registry ?? throw new InvalidOperationException("the registry fixture is not initialized");

    /// <summary>The OCI layout the images came from (see <see cref="TestImages"/>).</summary>
    public string Layout { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Layout = await TestImages.BuildAsync();
        _registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { PushTestImages = true });
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
    }
}
