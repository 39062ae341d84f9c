using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests;

/// <summary>
/// Test classes marked <c>[Collection(RegistryFixture.Collection)]</c> share one local registry
/// with the test images pushed (started once, stopped after the last of them).
/// </summary>
[CollectionDefinition(RegistryFixture.Collection)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>;
