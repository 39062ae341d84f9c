#!/usr/bin/env bash
# Fresh Debian 12 / Ubuntu box -> running Appliance.
#   sudo ./install.sh            install packages, build, install the systemd unit and start it
#   sudo ./install.sh --foreground   same, but run the daemon in this terminal (no systemd)
# State lives in /var/lib/appliance (embedded SQLite); the program in /opt/appliance.
# APPLIANCE_PORT (8080), APPLIANCE_FIREWALL (auto|nftables|firewalld|none; auto = firewalld when it
# runs, else nftables) and APPLIANCE_STATE_DIR / APPLIANCE_PREFIX change the defaults.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" != 0 ]; then echo "install.sh: run as root (sudo ./install.sh)" >&2; exit 1; fi
foreground=""
[ "${1:-}" = "--foreground" ] && foreground=1
prefix=${APPLIANCE_PREFIX:-/opt/appliance}
state=${APPLIANCE_STATE_DIR:-/var/lib/appliance}
port=${APPLIANCE_PORT:-8080}
firewall=${APPLIANCE_FIREWALL:-auto}

echo "==> installing run-time packages (runc, conmon, nftables, ...)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq runc conmon nftables libnftables1 iproute2 kmod ca-certificates >/dev/null

if ! command -v dotnet >/dev/null 2>&1; then
  echo "==> the .NET 10 SDK is needed to build Appliance"
  if ! apt-get install -y -qq dotnet-sdk-10.0 >/dev/null 2>&1; then
    echo "install.sh: no 'dotnet' on PATH and no dotnet-sdk-10.0 package in your apt sources." >&2
    echo "  Install the .NET 10 SDK (http://learn.microsoft.com/dotnet/core/install/linux-debian), then run this again." >&2
    exit 1
  fi
fi

echo "==> building Appliance into $prefix (the daemon compiled ahead of time: a few minutes)"
# clang links the daemon compiled ahead of time (Native AOT); zlib1g-dev is what .NET's AOT compiler links it against.
apt-get install -y -qq clang zlib1g-dev >/dev/null || echo "install.sh: no clang; building the daemon JIT-compiled instead (more memory)" >&2
deploy/publish.sh "$prefix"
ln -sf "$prefix/appliance" /usr/local/bin/appliance
install -d -m 0700 "$state"

if [ -d /run/systemd/system ] && [ -z "$foreground" ]; then
  echo "==> installing the systemd unit appliance.service"
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@STATE@|$state|g" -e "s|@PORT@|$port|g" -e "s|@FIREWALL@|$firewall|g" deploy/appliance.service \
    > /etc/systemd/system/appliance.service
  systemctl daemon-reload
  systemctl enable --now appliance.service
  echo "Appliance is running. Open https://$(hostname -I | awk '{print $1}'):8443/ (self-signed certificate; http://...:$port redirects there)"
  echo "Create the first admin with the one-time setup token: journalctl -u appliance | grep 'setup token'"
else
  echo "==> no systemd here: running the daemon in the foreground (Ctrl-C stops it)"
  echo "Open https://$(hostname -I 2>/dev/null | awk '{print $1}'):8443/ (self-signed certificate; http://...:$port redirects there)"
  echo "The one-time setup token for the first admin is printed below."
  # The same runtime settings as the unit: its Environment= lines.
  while IFS= read -r setting; do export "${setting#Environment=}"; done < <(grep '^Environment=' deploy/appliance.service)
  exec "$prefix/appliance" serve --state-dir "$state" --port "$port" --firewall-backend "$firewall"
fi
