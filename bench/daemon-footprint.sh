#!/usr/bin/env bash
# Idle footprint of the daemon, and start-to-serving time, against podman's API service as the peer
# (both with no containers). Reads /proc: VmRSS, and utime+stime over the window. Needs root.
#   sudo bench/daemon-footprint.sh [seconds, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-60}
prefix=tb$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
dir=/tmp/$prefix
mkdir -p "$dir"
dll=src/Web/bin/Release/net10.0/appliance.dll
dotnet build src/Web -c Release -nologo -v q >/dev/null
hz=$(getconf CLK_TCK)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  mount | awk -v d="$dir" '$3 ~ "^"d {print $3}' | xargs -r -n1 umount
  rm -rf "$dir" "/run/$prefix"
}
trap cleanup EXIT

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# Start to serving: spawn, then poll /api/health over the unix socket (3 runs, median).
starts=()
for run in 1 2 3; do
  rm -rf "$dir/state$run"
  t0=$(date +%s%N)
  APPLIANCE_TEST_PREFIX=$prefix dotnet "$dll" serve --state-dir "$dir/state$run" --socket "$dir/a$run.sock" --port 0 --run-dir "/run/$prefix" >/dev/null 2>&1 &
  p=$!
  until curl -s --unix-socket "$dir/a$run.sock" http://x/api/health >/dev/null 2>&1; do sleep 0.01; done
  starts+=($(( ($(date +%s%N) - t0) / 1000000 )))
  if [ "$run" != 3 ]; then kill "$p"; wait "$p" 2>/dev/null || true; else pids+=("$p"); daemon=$p; fi
done
start_ms=$(printf '%s\n' "${starts[@]}" | sort -n | sed -n 2p)

podman_sock="$dir/podman.sock"
podman --root "$dir/podman-root" --runroot "/run/$prefix/podman" system service --time=0 "unix://$podman_sock" >/dev/null 2>&1 &
podman_pid=$!; pids+=("$podman_pid")
until curl -s --unix-socket "$podman_sock" http://d/_ping >/dev/null 2>&1; do sleep 0.05; done

sleep 5 # let both settle
a0=$(ticks "$daemon"); p0=$(ticks "$podman_pid")
sleep "$window"
a1=$(ticks "$daemon"); p1=$(ticks "$podman_pid")
a_rss=$(rss_kb "$daemon"); p_rss=$(rss_kb "$podman_pid")
a_cpu=$(awk -v d=$((a1-a0)) -v hz="$hz" -v w="$window" 'BEGIN{printf "%.2f", 100*d/hz/w}')
p_cpu=$(awk -v d=$((p1-p0)) -v hz="$hz" -v w="$window" 'BEGIN{printf "%.2f", 100*d/hz/w}')
echo "| | appliance serve | podman system service | ratio |"
echo "|---|---|---|---|"
echo "| idle RSS | $((a_rss/1024)) MB | $((p_rss/1024)) MB | $(awk -v a="$a_rss" -v p="$p_rss" 'BEGIN{printf "%.2f", a/p}') |"
echo "| idle CPU over ${window} s | ${a_cpu} % | ${p_cpu} % | |"
echo "| start to serving (median of 3) | ${start_ms} ms | | |"
