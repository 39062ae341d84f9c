#!/usr/bin/env bash
# What one exec health check costs the daemon, part by part (compare-health-check in
# bench/Appliance.Bench/Daemon/HealthCheckCostComparison.cs), run with the Environment= lines of
# deploy/appliance.service as the daemon runs. Needs root, runc and busybox.
#   sudo bench/health-check-cost.sh [operations per part, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Appliance.Bench -c Release -nologo -v q >/dev/null
export APPLIANCE_BENCH_ROUNDS=${1:-300}
mapfile -t unit_env < <(sed -n 's/^Environment=//p' deploy/appliance.service)
echo "environment (deploy/appliance.service): ${unit_env[*]}"
exec env "${unit_env[@]}" dotnet bench/Appliance.Bench/bin/Release/net10.0/Appliance.Bench.dll compare-health-check
