using System.Net;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Engine;

public sealed partial class StackEngine
{
    /// <summary>A step that failed, with the service it was for; turned into a <see cref="StackDeploymentException"/>.</summary>
    private sealed class StepFailure(EngineStep step, string? service, Exception inner)
        : Exception(inner.Message, inner)
    {
        public EngineStep Step { get; } = step;

        public string? Service { get; } = service;
    }

    /// <summary>What this attempt created, undone in reverse order on failure.</summary>
    private sealed class UndoLog
    {
        private readonly List<(string What, Func<Task> Undo)> _steps = new();

        public void Add(string what, Func<Task> undo)
        {
            lock (_steps)
            {
                _steps.Add((what, undo));
            }
        }

        public async Task<IReadOnlyList<string>> RunAsync()
        {
            List<(string What, Func<Task> Undo)> steps;
            lock (_steps)
            {
                steps = _steps.AsEnumerable().Reverse().ToList();
                _steps.Clear();
            }
            var failures = new List<string>();
            foreach ((string what, Func<Task> undo) in steps)
            {
                try
                {
                    await undo();
                }
                catch (Exception e)
                {
                    failures.Add($"{what}: {e.Message}");
                }
            }
            return failures;
        }
    }

    /// <summary>
    /// Brings <paramref name="stack"/> up: pulls missing images, gives it a subnet and bridge, then
    /// creates and starts each service once its depends_on conditions hold (services that do
    /// not wait on each other start in parallel). Returns when every service has started.
    /// </summary>
    public async Task UpAsync(ResolvedStack stack, IProgress<EngineEvent>? progress = null, CancellationToken cancellationToken = default)
    {
        string name = stack.Name;
        if (DeployedStack.Load(_options, name) is not null)
        {
            throw new StackDeploymentException(name, null, EngineStep.StackUp,
                $"it is up already (or an earlier `up` was interrupted); take it down first with `appliance stack down {name}`", []);
        }
        var undo = new UndoLog();
        try
        {
            // The record comes first and goes last: if the process dies half-way, the stack is listed and `down`
            // finds (by name) whatever this attempt had made: containers, namespaces, veths, bridge, rules, addresses.
            Record(stack, subnet: null).Save(_options);
            undo.Add($"record of '{name}'", () =>
            {
                DeployedStack.Delete(_options, name);
                return Task.CompletedTask;
            });
            await UpStepsAsync(stack, undo, progress, cancellationToken);
        }
        catch (Exception e)
        {
            EngineStep step = e is StepFailure f ? f.Step : EngineStep.StackUp;
            string? service = (e as StepFailure)?.Service;
            Exception cause = e is StepFailure ? e.InnerException! : e;
            Publish(progress, name, service, step, cause.Message, failed: true);
            Publish(progress, name, null, EngineStep.Rollback, "removing what this attempt created");
            IReadOnlyList<string> rollbackFailures = await undo.RunAsync();
            if (cause is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            throw new StackDeploymentException(name, service, step, cause.Message, rollbackFailures, cause);
        }
        Publish(progress, name, null, EngineStep.StackUp, $"{stack.Services.Count} service(s) started");
        _options.AfterStep?.Invoke(name, null, EngineStep.StackUp);
    }

    /// <summary>What `down` needs to find a stack's things by name; the addresses once they are allocated.</summary>
    private DeployedStack Record(ResolvedStack stack, StackSubnet? subnet) => new(stack.Name, stack.File,
        stack.Services.Select(s => new DeployedService(s.Name, ContainerId(stack.Name, s.Name), s.Image,
            subnet?.Addresses[s.Name].ToString() ?? "", s.DependsOn.Select(d => d.Service).ToList(), s.StopGracePeriod.TotalSeconds, s.StopSignal)).ToList(),
        stack.Volumes.Select(v => v.StorageName).ToList());

    private async Task<T> StepAsync<T>(IProgress<EngineEvent>? progress, string stack, string? service, EngineStep step, string message, Func<Task<T>> work)
    {
        Publish(progress, stack, service, step, message);
        T result;
        try
        {
            result = await work();
        }
        catch (Exception e) when (e is not StepFailure and not OperationCanceledException)
        {
            throw new StepFailure(step, service, e);
        }
        _options.AfterStep?.Invoke(stack, service, step);
        return result;
    }

    private Task StepAsync(IProgress<EngineEvent>? progress, string stack, string? service, EngineStep step, string message, Func<Task> work) =>
        StepAsync(progress, stack, service, step, message, async () => { await work(); return true; });

    private async Task UpStepsAsync(ResolvedStack stack, UndoLog undo, IProgress<EngineEvent>? progress, CancellationToken cancellationToken)
    {
        string name = stack.Name;

        // Images: pulled in parallel, only what the store lacks.
        var images = new Dictionary<string, Image>(StringComparer.Ordinal);
        string[] references = stack.Services.Select(s => s.Image).Distinct(StringComparer.Ordinal).ToArray();
        Image[] pulled = await Task.WhenAll(references.Select(reference =>
            StepAsync(progress, name, null, EngineStep.PullImage, reference, async () =>
                await _images.FindAsync(reference, cancellationToken) ?? await _images.PullAsync(reference, null, cancellationToken))));
        for (int i = 0; i < references.Length; i++)
        {
            images[references[i]] = pulled[i];
        }

        // Addresses: a subnet for the stack, one address per service, persisted.
        StackSubnet subnet = await StepAsync(progress, name, null, EngineStep.AllocateAddresses, "subnet and addresses", async () =>
        {
            await _ipamLock.WaitAsync(cancellationToken);
            try
            {
                IpamState state = IpamFile.Load(_options);
                bool hadSubnet = state.Find(name) is not null;
                state = await _network.AllocateSubnetAsync(state, name, cancellationToken);
                foreach (ResolvedService service in stack.Services)
                {
                    state = _network.Ipam.AllocateAddress(state, name, service.Name);
                }
                IpamFile.Save(_options, state);
                if (!hadSubnet)
                {
                    undo.Add($"IPAM subnet of '{name}'", () => ReleaseSubnetAsync(name));
                }
                return state.Find(name)!;
            }
            finally
            {
                _ipamLock.Release();
            }
        });
        Record(stack, subnet).Save(_options);

        StackNetwork network = await StepAsync(progress, name, null, EngineStep.CreateNetwork, $"bridge for {subnet.Subnet}", async () =>
        {
            StackNetwork created = await _network.CreateStackNetworkAsync(name, subnet.Subnet, cancellationToken);
            undo.Add($"bridge {created.BridgeName}", () => _network.RemoveStackNetworkAsync(name, CancellationToken.None));
            return created;
        });

        // Firewall: the bridge subnet and published ports, before any container starts (the NAS
        // story: an app that polls its database at boot dies if the subnet is not yet allowed).
        if (_firewall is { } firewall)
        {
            await StepAsync(progress, name, null, EngineStep.ApplyFirewall, $"allow {subnet.Subnet} and the published ports", async () =>
            {
                await firewall.OpenAsync(stack, subnet, cancellationToken);
                undo.Add($"firewall rules of '{name}'", () => firewall.CloseAsync(name, CancellationToken.None));
            });
        }

        // /etc/hosts: every service by name, hostname and aliases.
        IReadOnlyList<HostEntry> hosts = HostsOf(stack, subnet);

        var started = stack.Services.ToDictionary(s => s.Name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var conditions = new Dictionary<(string, DependencyCondition), Lazy<Task>>();
        var volumeLocks = new Dictionary<string, SemaphoreSlim>(StringComparer.Ordinal);
        foreach (ResolvedVolume volume in stack.Volumes)
        {
            volumeLocks[volume.StorageName] = new SemaphoreSlim(1, 1);
        }
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        Task Condition(ResolvedService dependency, DependencyCondition condition)
        {
            lock (conditions)
            {
                if (!conditions.TryGetValue((dependency.Name, condition), out Lazy<Task>? task))
                {
                    task = new Lazy<Task>(() => WaitForConditionAsync(stack, dependency, condition, started[dependency.Name].Task, failFast.Token));
                    conditions[(dependency.Name, condition)] = task;
                }
                return task.Value;
            }
        }

        async Task RunServiceAsync(ResolvedService service)
        {
            try
            {
                foreach (ResolvedDependency dependency in service.DependsOn)
                {
                    ResolvedService target = stack.FindService(dependency.Service)
                        ?? throw new StepFailure(EngineStep.WaitForDependency, service.Name, new InvalidOperationException($"depends on unknown service '{dependency.Service}'"));
                    await StepAsync(progress, name, service.Name, EngineStep.WaitForDependency,
                        $"waiting for '{target.Name}' ({ConditionText(dependency.Condition)})", () => Condition(target, dependency.Condition));
                }
                await StartServiceAsync(stack, service, images[service.Image], network, subnet.Addresses[service.Name], hosts, volumeLocks, undo, progress, failFast.Token);
                started[service.Name].TrySetResult();
            }
            catch (Exception e)
            {
                started[service.Name].TrySetException(e);
                failFast.Cancel();
                throw;
            }
        }

        Task[] services = stack.Services.Select(s => Task.Run(() => RunServiceAsync(s), CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(services);
        }
        catch
        {
            // The first real failure, not the cancellations it caused in the other services.
            Exception? first = services.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!)
                .FirstOrDefault(e => e is not OperationCanceledException)
                ?? services.Where(t => t.IsFaulted || t.IsCanceled).Select(t => (Exception?)t.Exception?.InnerException).FirstOrDefault(e => e is not null);
            if (first is not null)
            {
                throw first;
            }
            throw;
        }
    }

    /// <summary>The stack's /etc/hosts entries: every service by name, hostname and aliases.</summary>
    private static IReadOnlyList<HostEntry> HostsOf(ResolvedStack stack, StackSubnet subnet) =>
        [.. stack.Services.Select(s => new HostEntry(subnet.Addresses[s.Name].ToString(),
            new[] { s.Name, s.Hostname }.Concat(s.Aliases).Distinct(StringComparer.Ordinal).ToList()))];

    private static string ConditionText(DependencyCondition condition) => condition switch
    {
        DependencyCondition.ServiceHealthy => "service_healthy",
        DependencyCondition.ServiceCompletedSuccessfully => "service_completed_successfully",
        _ => "service_started",
    };

    private async Task StartServiceAsync(ResolvedStack stack, ResolvedService service, Image image, StackNetwork network, IPAddress address,
        IReadOnlyList<HostEntry> hosts, IReadOnlyDictionary<string, SemaphoreSlim> volumeLocks, UndoLog undo, IProgress<EngineEvent>? progress,
        CancellationToken cancellationToken)
    {
        string name = stack.Name;
        string id = ContainerId(name, service.Name);
        string rootfsDir = RootfsDir(id);

        Rootfs rootfs = await StepAsync(progress, name, service.Name, EngineStep.CreateRootfs, image.References.FirstOrDefault() ?? image.Id, async () =>
        {
            Rootfs r = await _images.CreateRootfsAsync(image, rootfsDir, cancellationToken);
            undo.Add($"rootfs {rootfsDir}", async () =>
            {
                await _images.RemoveRootfsAsync(rootfsDir, CancellationToken.None);
                if (Directory.Exists(rootfsDir))
                {
                    Directory.Delete(rootfsDir, recursive: true);
                }
            });
            return r;
        });

        var mounts = new List<ContainerMount>();
        foreach (ResolvedMount mount in service.Mounts)
        {
            switch (mount.Type)
            {
                case MountType.Volume:
                    string storage = mount.Source!;
                    string dir = VolumeDir(storage);
                    await StepAsync(progress, name, service.Name, EngineStep.CreateVolume, storage, async () =>
                    {
                        SemaphoreSlim gate = volumeLocks.GetValueOrDefault(storage) ?? new SemaphoreSlim(1, 1);
                        await gate.WaitAsync(cancellationToken);
                        try
                        {
                            if (!Directory.Exists(dir))
                            {
                                undo.Add($"volume {storage}", () => { Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true); return Task.CompletedTask; });
                                VolumeInitializer.CopyUp(Path.Combine(rootfs.Path, mount.Target.TrimStart('/')), dir);
                            }
                        }
                        finally
                        {
                            gate.Release();
                        }
                    });
                    mounts.Add(new ContainerMount(MountKind.Volume, dir, mount.Target, mount.ReadOnly));
                    break;
                case MountType.Bind:
                    mounts.Add(new ContainerMount(MountKind.Bind, mount.Source!, mount.Target, mount.ReadOnly));
                    break;
                default:
                    mounts.Add(new ContainerMount(MountKind.Tmpfs, "", mount.Target, mount.ReadOnly));
                    break;
            }
        }

        string netns = NetnsPath(id);
        await StepAsync(progress, name, service.Name, EngineStep.CreateNamespace, netns, async () =>
        {
            await NetworkNamespaceFile.CreateAsync(netns, cancellationToken);
            undo.Add($"network namespace {netns}", () => NetworkNamespaceFile.RemoveAsync(netns, CancellationToken.None));
        });
        await StepAsync(progress, name, service.Name, EngineStep.AttachNetwork, $"{address} on {network.BridgeName}", async () =>
        {
            await _network.AttachContainerAsync(network, service.Name, netns, address, cancellationToken);
            undo.Add($"veth of '{service.Name}'", () => _network.DetachContainerAsync(network, service.Name, CancellationToken.None));
        });

        ImageConfig config = image.Config;
        ContainerProcess process = ProcessResolver.Resolve(
            new ImageProcessConfig { Entrypoint = config.Entrypoint, Cmd = config.Cmd, Env = config.Env, User = config.User, WorkingDir = config.WorkingDir },
            service.Entrypoint, service.Command,
            service.Environment.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value),
            service.User, service.WorkingDir);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { [StackLabel] = name, [ServiceLabel] = service.Name };
        var spec = new ContainerSpec
        {
            Id = id,
            RootfsPath = rootfs.Path,
            Process = process,
            Hostname = service.Hostname,
            NetworkNamespacePath = netns,
            CapAdd = service.CapAdd,
            CapDrop = service.CapDrop,
            Mounts = mounts,
            Hosts = [.. hosts, .. service.ExtraHosts.Select(h => new HostEntry(h.Value, [h.Key]))],
            Limits = new Runtime.ResourceLimits { MemoryBytes = service.Limits.MemoryBytes, Cpus = service.Limits.Cpus, Pids = service.Limits.Pids },
            Logs = new LogLimits(service.LogMaxSizeBytes, service.LogMaxFiles),
            Labels = labels,
        };
        await StepAsync(progress, name, service.Name, EngineStep.CreateContainer, id, async () =>
        {
            undo.Add($"container {id}", () => _runtime.RemoveAsync(id, CancellationToken.None));
            await _runtime.CreateAsync(spec, cancellationToken);
        });
        await StepAsync(progress, name, service.Name, EngineStep.StartContainer, id, () => _runtime.StartAsync(id, cancellationToken));
    }

    private async Task ReleaseSubnetAsync(string stack)
    {
        await _ipamLock.WaitAsync();
        try
        {
            IpamFile.Save(_options, _network.Ipam.ReleaseSubnet(IpamFile.Load(_options), stack));
        }
        finally
        {
            _ipamLock.Release();
        }
    }
}
