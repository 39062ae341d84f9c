#!/usr/bin/env bash
# The floor under the daemon's RSS (issue #9), JIT-compiled as install.sh runs the daemon and compiled ahead of time
# (Native AOT): the runtime alone, ASP.NET Core's slim host on a unix socket (bench/RuntimeFloor), and the engine's
# package-heavy parts (bench/AotCanary: the state database with its migrations, a stack file parsed, Quartz firing a job
# made by DI). Each runs with the systemd unit's environment, idles 20 s after it is ready; RSS from /proc/PID/status.
# The canary exits non-zero if a part fails, so it also says whether the engine's packages work compiled ahead of time.
# Needs clang for the AOT builds (Debian's clang-14 is found too).
#   bench/runtime-floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out=$(mktemp -d /tmp/tbfloor.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"; }
trap cleanup EXIT
linker=$(command -v clang || command -v clang-14 || true)
for project in RuntimeFloor AotCanary; do
  dotnet publish "bench/$project" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/jit" -nologo -v q
  # ILC's trim and AOT warnings about the packages, if any, are printed here.
  dotnet publish "bench/$project" -c Release -r linux-x64 -p:PublishAot=true ${linker:+-p:CppCompilerAndLinker=$linker} -o "$out/aot" -nologo -v q
done
# The unit's environment, as the daemon runs.
while IFS='=' read -r key value; do export "$key=$value"; done < <(sed -n 's/^Environment=//p' deploy/appliance.service)
start() { "$@" >/dev/null 2>&1 & pids+=($!); }
wait_for() { for _ in $(seq 400); do eval "$1" && return 0; sleep 0.05; done; echo "not ready: $1" >&2; exit 1; }
start "$out/jit/RuntimeFloor" console; console=$!
start "$out/jit/RuntimeFloor" web "$out/jit.sock"; web_jit=$!
start "$out/aot/RuntimeFloor" web "$out/aot.sock"; web_aot=$!
"$out/jit/AotCanary" "$out/state-jit" stacks/gitlab/stack.yaml >"$out/canary-jit.log" 2>&1 & pids+=($!); canary_jit=$!
"$out/aot/AotCanary" "$out/state-aot" stacks/gitlab/stack.yaml >"$out/canary-aot.log" 2>&1 & pids+=($!); canary_aot=$!
wait_for "curl -sf --unix-socket $out/jit.sock http://floor/api/health >/dev/null"
wait_for "curl -sf --unix-socket $out/aot.sock http://floor/api/health >/dev/null"
for mode in jit aot; do
  wait_for "grep -qx ok $out/canary-$mode.log || { ! kill -0 \$canary_$mode 2>/dev/null && cat $out/canary-$mode.log >&2 && exit 1; }"
done
sed 's/^/  canary (AOT): /' "$out/canary-aot.log"
sleep 20
row() { awk -v what="$1" '/^(VmRSS|RssAnon|RssFile|RssShmem):/ { v[$1] = $2 / 1024 }
  END { printf "| %s | %.0f MB | %.1f | %.1f | %.1f |\n", what, v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"] }' "/proc/$2/status"; }
echo "| process | RSS | anon MB | files MB | shmem (JIT code) MB |"
echo "|---|---|---|---|---|"
row "runtime alone, JIT (console, idle)" "$console"
row "ASP.NET Core slim host on a unix socket, JIT" "$web_jit"
row "the same, Native AOT" "$web_aot"
row "engine parts (SQLite, stack parser, Quartz via DI), JIT" "$canary_jit"
row "the same, Native AOT" "$canary_aot"
