#!/usr/bin/env bash
# Makes sure the real InfluxDB 1.x server and Chromium used by the tests and the demo are present.
# Installs them with apt-get when we can (root, or passwordless sudo); otherwise prints the exact
# command to run and returns non-zero, so nothing is silently skipped.
# Usage: scripts/system-deps.sh [influxdb] [chromium]   (default: both)
set -u
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(influxdb chromium)

missing=()
for pkg in "${wanted[@]}"; do
  case "$pkg" in
    influxdb) command -v influxd >/dev/null 2>&1 || missing+=(influxdb) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    *) echo "system-deps: unknown package $pkg" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=none; fi
if [ "$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing: ${missing[*]}. Install with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} with apt-get (once)..." >&2
export DEBIAN_FRONTEND=noninteractive
# The Debian influxdb package tries to start its service; there is no init system in containers,
# so a policy-rc.d that refuses service starts keeps the install from failing on that.
if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" = 0 ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
fi
$sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
rc=$?
[ "${created_policy:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
if [ $rc -ne 0 ]; then
  echo "apt-get could not install ${missing[*]}. Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
