#!/usr/bin/env bash
# The floor under the daemon's RSS (issue #9): what the .NET runtime alone and ASP.NET Core's slim host on a unix socket
# cost before Appliance adds anything, JIT-compiled as install.sh runs the daemon and compiled ahead of time (Native
# AOT). Each runs with the systemd unit's environment, serves one request, idles 20 s; RSS from /proc/PID/status.
# Needs clang for the AOT build (Debian's clang-14 is found too).
#   bench/runtime-floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out=$(mktemp -d /tmp/tbfloor.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"; }
trap cleanup EXIT
linker=$(command -v clang || command -v clang-14 || true)
dotnet publish bench/RuntimeFloor -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/jit" -nologo -v q
dotnet publish bench/RuntimeFloor -c Release -r linux-x64 -p:PublishAot=true ${linker:+-p:CppCompilerAndLinker=$linker} -o "$out/aot" -nologo -v q
# The unit's environment, as the daemon runs.
while IFS='=' read -r key value; do export "$key=$value"; done < <(sed -n 's/^Environment=//p' deploy/appliance.service)
start() { "$@" >/dev/null 2>&1 & pids+=($!); }
start "$out/jit/RuntimeFloor" console; console=$!
start "$out/jit/RuntimeFloor" web "$out/jit.sock"; jit=$!
start "$out/aot/RuntimeFloor" web "$out/aot.sock"; aot=$!
for sock in "$out/jit.sock" "$out/aot.sock"; do
  for _ in $(seq 200); do curl -sf --unix-socket "$sock" http://floor/api/health >/dev/null && break; sleep 0.05; done
done
sleep 20
row() { awk -v what="$1" '/^(VmRSS|RssAnon|RssFile|RssShmem):/ { v[$1] = $2 / 1024 }
  END { printf "| %s | %.0f MB | %.1f | %.1f | %.1f |\n", what, v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"] }' "/proc/$2/status"; }
echo "| process | RSS | anon MB | files MB | shmem (JIT code) MB |"
echo "|---|---|---|---|---|"
row "runtime alone, JIT (console, idle)" "$console"
row "ASP.NET Core slim host on a unix socket, JIT" "$jit"
row "the same, Native AOT" "$aot"
