#!/usr/bin/env bash
# Builds the `appliance` program into DIR, as install.sh installs it (and the daemon benches measure it):
# framework-dependent, with Appliance's own assemblies compiled ahead of time (ReadyToRun) for this
# machine's architecture, ~0.1 s less start-up (docs/performance.md, Daemon).
#   deploy/publish.sh DIR
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
if [ -n "$rid" ]; then
  dotnet publish src/Web/Appliance.Web.csproj -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$out" -nologo -v q
else
  # No ReadyToRun compiler for this architecture: the same program, JIT-compiled.
  dotnet publish src/Web/Appliance.Web.csproj -c Release -o "$out" -nologo -v q
fi
