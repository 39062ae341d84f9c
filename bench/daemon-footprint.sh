#!/usr/bin/env bash
# Issue #9's daemon targets, measured from /proc with real stacks (compare-daemon-footprint in
# bench/Appliance.Bench/Daemon): idle RSS/CPU with no stacks and with 5 stacks (17 services),
# ~1,000 exec health checks a minute, start to serving with 20 stacks; podman's API service
# idles alongside as the peer. The daemon runs with --netns on a test box (tbXXXXXX), never on
# the machine's own firewall. Needs root, runc, conmon, docker-registry, skopeo, podman, sqlite3.
#   sudo bench/daemon-footprint.sh [seconds per window, default 60] [daemon: published appliance or appliance.dll] [daemon B]
# The daemon as install.sh builds it: compiled ahead of time, with the web UI beside it (deploy/publish.sh DIR; given
# DIR/appliance, the bench uses that build).
# With a daemon B, only start-up with 20 stacks is measured: A and B restart in turn (APPLIANCE_BENCH_STARTS each, 6).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Appliance.Bench -c Release -nologo -v q >/dev/null
export APPLIANCE_BENCH_WINDOW=${1:-60}
# By default the daemon is built as install.sh builds it (deploy/publish.sh).
if [ -n "${2:-}" ]; then
  export APPLIANCE_BENCH_DAEMON=$2
else
  deploy/publish.sh bench/artifacts/daemon
  export APPLIANCE_BENCH_DAEMON=$PWD/bench/artifacts/daemon/appliance
fi
[ -n "${3:-}" ] && export APPLIANCE_BENCH_DAEMON_B=$3
exec dotnet bench/Appliance.Bench/bin/Release/net10.0/Appliance.Bench.dll compare-daemon-footprint
