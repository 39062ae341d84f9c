using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Networking.Netlink;

namespace Appliance.Orchestrator.Tests.Networking;

/// <summary>
/// Our netlink structs and constants against the system's C headers: a small C program is
/// generated from the C# definitions (by reflection), compiled with gcc and run; it prints
/// the C sizes, offsets and values, which must match ours.
/// </summary>
public sealed class NetlinkStructTests
{
    private static readonly Type[] Structs =
        [typeof(nlmsghdr), typeof(nlmsgerr), typeof(ifinfomsg), typeof(ifaddrmsg), typeof(rtmsg), typeof(rtattr), typeof(sockaddr_nl)];

    private static IEnumerable<FieldInfo> Constants() =>
        typeof(Rtnl).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Concat(typeof(NetlinkConstants).GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.Name.All(c => char.IsUpper(c) || char.IsDigit(c) || c == '_'))
            .DistinctBy(f => f.Name);

    [Fact]
    public async Task StructsAndConstants_Match_TheSystemHeaders()
    {
        Dictionary<string, long> c = await CompileAndRunAsync(GenerateProgram());

        var mismatches = new List<string>();
        foreach (Type type in Structs)
        {
            Check($"sizeof {type.Name}", Marshal.SizeOf(type));
            foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                Check($"offsetof {type.Name}.{field.Name}", (long)Marshal.OffsetOf(type, field.Name));
                Check($"sizeof {type.Name}.{field.Name}", Marshal.SizeOf(field.FieldType));
            }
        }
        foreach (FieldInfo constant in Constants())
        {
            Check(constant.Name, Convert.ToInt64(constant.GetRawConstantValue()));
        }

        Assert.True(mismatches.Count == 0, "differences from the C headers:\n" + string.Join("\n", mismatches));

        void Check(string key, long ours)
        {
            if (!c.TryGetValue(key, out long theirs))
            {
                mismatches.Add($"{key}: not printed by the C program");
            }
            else if (theirs != ours)
            {
                mismatches.Add($"{key}: C says {theirs}, C# says {ours}");
            }
        }
    }

    [Fact]
    public void Constants_CoverEveryOperation_Used()
    {
        string[] needed = ["IFLA_NET_NS_FD", "VETH_INFO_PEER", "IFLA_BRPORT_MODE", "IFLA_MASTER", "IFA_LOCAL", "RTA_GATEWAY", "NLM_F_EXCL"];

        Assert.Empty(needed.Except(Constants().Select(f => f.Name)));
    }

    private static string GenerateProgram()
    {
        var program = new StringBuilder("""
            #include <stdio.h>
            #include <stddef.h>
            #include <sys/socket.h>
            #include <linux/if.h>
            #include <linux/netlink.h>
            #include <linux/rtnetlink.h>
            #include <linux/if_link.h>
            #include <linux/if_addr.h>
            #include <linux/veth.h>
            #include <linux/netfilter/nfnetlink.h>
            #include <linux/netfilter/nf_tables.h>
            int main(void) {

            """);
        foreach (Type type in Structs)
        {
            program.Append($"  printf(\"sizeof {type.Name} %ld\\n\", (long)sizeof(struct {type.Name}));\n");
            foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                program.Append($"  printf(\"offsetof {type.Name}.{field.Name} %ld\\n\", (long)offsetof(struct {type.Name}, {field.Name}));\n");
                program.Append($"  printf(\"sizeof {type.Name}.{field.Name} %ld\\n\", (long)sizeof(((struct {type.Name} *)0)->{field.Name}));\n");
            }
        }
        foreach (FieldInfo constant in Constants())
        {
            // Cast to the C# constant's type, as a message field of that type would hold it.
            string cType = Type.GetTypeCode(constant.FieldType) switch
            {
                TypeCode.Byte => "unsigned char",
                TypeCode.UInt16 => "unsigned short",
                TypeCode.UInt32 => "unsigned int",
                _ => "int",
            };
            program.Append($"  printf(\"{constant.Name} %ld\\n\", (long)({cType})({constant.Name}));\n");
        }
        program.Append("  return 0;\n}\n");
        return program.ToString();
    }

    private static async Task<Dictionary<string, long>> CompileAndRunAsync(string source)
    {
        string dir = Directory.CreateTempSubdirectory("appliance-netlink-structs-").FullName;
        try
        {
            string c = Path.Combine(dir, "structs.c");
            string exe = Path.Combine(dir, "structs");
            await File.WriteAllTextAsync(c, source);
            (int gccExit, string gccOutput) = await RunAsync("gcc", "-Wall", "-Werror", "-o", exe, c);
            Assert.True(gccExit == 0, $"gcc failed (needs gcc and linux-libc-dev):\n{gccOutput}\n{source}");
            (int exit, string output) = await RunAsync(exe);
            Assert.Equal(0, exit);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .ToDictionary(parts => string.Join(' ', parts[..^1]), parts => long.Parse(parts[^1]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
