using System.Text;

namespace Appliance.Bench.Stacks;

/// <summary>The inputs of the stack benchmarks: the packaged gitlab stack and a generated 200-service stack.</summary>
internal static class StackFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string GitlabPath => Path.Combine(RepoRoot, "stacks", "gitlab", "stack.yaml");

    /// <summary>The secrets an installed gitlab stack passes back (so nothing is generated per load).</summary>
    public static IReadOnlyDictionary<string, string> GitlabVariables { get; } = new Dictionary<string, string>
    {
        ["DB_PASS"] = new string('p', 32),
        ["GITLAB_SECRETS_DB_KEY_BASE"] = new string('a', 64),
        ["GITLAB_SECRETS_SECRET_KEY_BASE"] = new string('b', 64),
        ["GITLAB_SECRETS_OTP_KEY_BASE"] = new string('c', 64),
        ["GITLAB_ROOT_PASSWORD"] = new string('r', 24),
    };

    /// <summary>200 services in 50 groups of app + db + cache + worker, each with ports, volumes, health checks and dependencies.</summary>
    public static string Generate(int groups = 50)
    {
        var sb = new StringBuilder("name: big\nservices:\n");
        for (int g = 0; g < groups; g++)
        {
            sb.Append($"""
              db{g}:
                image: postgres:16
                restart: always
                environment:
                  POSTGRES_USER: app{g}
                  POSTGRES_PASSWORD: ${"{"}DB_PASSWORD:-secret{g}{"}"}
                volumes:
                  - db{g}-data:/var/lib/postgresql/data
                healthcheck:
                  test: ["CMD-SHELL", "pg_isready -U app{g}"]
                  interval: 10s
                  timeout: 5s
                  retries: 5
              cache{g}:
                image: redis:7
                command: redis-server --appendonly yes
                healthcheck:
                  test: ["CMD", "redis-cli", "ping"]
              app{g}:
                image: example/app:1.{g}
                restart: unless-stopped
                depends_on:
                  db{g}:
                    condition: service_healthy
                  cache{g}:
                    condition: service_healthy
                ports:
                  - "{20000 + g}:8080"
                  - "127.0.0.1:{30000 + g}:9090"
                environment:
                  - DB_HOST=db{g}
                  - REDIS_HOST=cache{g}
                  - PORT=8080
                volumes:
                  - app{g}-data:/data
                  - ./config/app{g}:/etc/app:ro
                healthcheck:
                  test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/health"]
                  interval: 30s
                  start_period: 1m
                mem_limit: 512m
              worker{g}:
                image: example/app:1.{g}
                command: ["worker", "--queue", "default"]
                depends_on: [app{g}]
                deploy:
                  resources:
                    limits:
                      cpus: "0.5"
                      memory: 256m

            """);
        }
        sb.Append("volumes:\n");
        for (int g = 0; g < groups; g++)
        {
            sb.Append($"  db{g}-data:\n  app{g}-data:\n");
        }
        return sb.ToString();
    }

    internal static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Appliance.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return dir ?? throw new InvalidOperationException($"no Appliance.sln above {AppContext.BaseDirectory}");
    }
}
