#!/usr/bin/env bash
# Runs the whole suite: build (warnings are errors), every test project, then the leak guard.
# Needs root (namespaces, runc, nftables inside test namespaces) and the Debian packages
# that .ci/run installs. Usage: sudo ./test.sh [extra dotnet test args, e.g. --filter Name~Stack]
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" != 0 ]; then
  echo "test.sh: the integration tests create network namespaces and run runc; run as root (sudo ./test.sh)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p tests/artifacts
log=tests/artifacts/test-output.log
# Every test prefix this run issues is noted here, so the leak guard blames this run only for what it made.
export APPLIANCE_TEST_LEDGER="$PWD/tests/artifacts/prefixes-$$.txt"
: > "$APPLIANCE_TEST_LEDGER"
trap 'rm -f "$APPLIANCE_TEST_LEDGER"' EXIT
start=$(date +%s)
dotnet build Appliance.sln -c Debug -warnaserror -nologo -v q 2>&1 | tail -n 20
# Appliance as install.sh builds it (the daemon compiled ahead of time, the web UI beside it), for InstalledBuildTests.
deploy/publish.sh tests/artifacts/install 2>&1 | tail -n 20
export APPLIANCE_TEST_INSTALLED="$PWD/tests/artifacts/install"
status=0
dotnet test Appliance.sln --no-build -c Debug --nologo \
  --logger "console;verbosity=normal" --results-directory tests/artifacts "$@" 2>&1 | tee "$log" || status=$?
guard=0
dotnet run --no-build --project tests/LeakGuard -c Debug || guard=$?
# One plain closing line for the whole run (sum of every test project's counts).
awk '
  /^ *Passed: *[0-9]+ *$/  { p += $2 }
  /^ *Failed: *[0-9]+ *$/  { f += $2 }
  /^ *Skipped: *[0-9]+ *$/ { s += $2 }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
echo "suite took $(( $(date +%s) - start )) s"
if [ "$status" != 0 ]; then exit "$status"; fi
exit "$guard"
