#!/usr/bin/env bash
# Builds Appliance into DIR as install.sh installs it (and the daemon benches measure it):
#   DIR/appliance      the daemon and the CLI, compiled ahead of time (Native AOT, no web UI in it): ~55 MB idle with 5 stacks
#   DIR/ui/appliance   the web UI's process, which the daemon starts on the first page request and stops when idle: Blazor
#                      Server cannot be compiled ahead of time, so it is the JIT build, framework-dependent, with Appliance's
#                      own assemblies compiled ahead of time (ReadyToRun) for ~0.1 s less start-up
#   DIR/stacks         the catalog of stacks the web UI offers
# Where no AOT compiler is (no clang, or an architecture .NET does not compile ahead of time for), DIR/appliance is the JIT
# build, which has the web UI in it and runs it as its own process the same way (docs/performance.md, Daemon).
#   deploy/publish.sh DIR                 APPLIANCE_AOT=0 deploy/publish.sh DIR: the JIT build only
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: deploy/publish.sh DIR}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  armv7l) rid=linux-arm ;;
  *) rid="" ;;
esac
linker=$(command -v clang || command -v clang-14 || true)
aot=""
if [ "${APPLIANCE_AOT:-1}" != 0 ] && [ -n "$linker" ] && [ "$rid" = linux-x64 -o "$rid" = linux-arm64 ]; then
  aot=1
fi
jit="$out"
[ -n "$aot" ] && jit="$out/ui"
rm -rf "$out/ui"
if [ -n "$rid" ]; then
  dotnet publish src/Web/Appliance.Web.csproj -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$jit" -nologo -v q
else
  # No ReadyToRun compiler for this architecture: the same program, JIT-compiled.
  dotnet publish src/Web/Appliance.Web.csproj -c Release -o "$jit" -nologo -v q
fi
if [ -n "$aot" ]; then
  # The JIT build's leftovers of an earlier install would only confuse: the AOT program is one file.
  rm -f "$out"/*.dll "$out/appliance.runtimeconfig.json" "$out/appliance.deps.json"
  # -p:PublishAot=true leaves the UI out (Hosting/WebUiFeature); the Blazor code still in the assembly reports trim warnings
  # although nothing reaches it, so warnings are not errors here (the analyzers run, with warnings as errors, in every build).
  dotnet publish src/Web/Appliance.Web.csproj -c Release -r "$rid" -p:PublishAot=true -p:CppCompilerAndLinker="$linker" \
    -p:TreatWarningsAsErrors=false -o "$out" -nologo -v q
  # What the daemon does not use: symbols, and the web assets (the UI in ui/ serves its own).
  rm -rf "$out/appliance.dbg" "$out"/*.pdb "$out/wwwroot" "$out/appliance.staticwebassets.endpoints.json"
fi
rm -rf "$out/stacks"
cp -r stacks "$out/stacks"
