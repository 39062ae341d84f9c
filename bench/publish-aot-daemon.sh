#!/usr/bin/env bash
# Builds `appliance` compiled ahead of time (Native AOT) without the web UI in process (-p:ApplianceWebUi=false, see
# src/Web/Hosting/WebUiFeature.cs): the daemon and the CLI as they become once the UI runs as a process of its own
# (docs/performance.md, Daemon). install.sh does not install this build yet: it has no web UI.
#   bench/publish-aot-daemon.sh DIR        then e.g.: bench/daemon-footprint.sh 60 DIR/appliance
# Needs clang (Debian's clang-14 is found too); ~2-3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/publish-aot-daemon.sh DIR}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
linker=$(command -v clang || command -v clang-14 || true)
# The Blazor parts left in the assembly report their trim/AOT warnings; they are not reachable in this build.
dotnet publish src/Web/Appliance.Web.csproj -c Release -r linux-x64 -p:PublishAot=true -p:ApplianceWebUi=false \
  ${linker:+-p:CppCompilerAndLinker=$linker} -p:TreatWarningsAsErrors=false -o "$out" -nologo -v q
