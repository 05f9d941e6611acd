#!/usr/bin/env bash
# The system packages the tests and benchmarks use, from Debian: prometheus (the server and
# promtool, for the metrics tests) and wrk (the HTTP benchmarks). Installs only what is
# missing; needs root (apt-get). `npm run setup:system` runs it; so does .ci/run.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ ${#need[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
# Debian's prometheus package starts a system service on 0.0.0.0:9090; tests run their own on loopback.
if [[ " ${need[*]} " == *" prometheus "* ]]; then
  (service prometheus stop || systemctl stop prometheus || pkill -x prometheus) >/dev/null 2>&1 || true
fi
