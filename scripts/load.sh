#!/usr/bin/env bash
# The full load test (make load): LOAD_DEVICES devices (default 5000) on the
# local broker for LOAD_DURATION (default 60s), each publishing a datapoint
# upload at QoS 1 every LOAD_INTERVAL (default 1s). See docs/RELIABILITY.md.
# Only 127.0.0.1. Heavy: both cores for a minute or more.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${LOAD_DEVICES:-5000}
# Every device holds two file descriptors in this one process (its end and
# the broker's). Go raises the soft limit to the hard one by itself; do it
# here too, so that the check below sees what the test will have.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$((devices * 2 + 512))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  echo "load: $devices devices need $need file descriptors; ulimit -Hn is $(ulimit -Hn)" >&2
  echo "load: raise the hard limit (e.g. in /etc/security/limits.conf) or set LOAD_DEVICES lower" >&2
  exit 1
fi
echo "load: $devices devices, ${LOAD_DURATION:-60s}, one upload per ${LOAD_INTERVAL:-1s} each; file descriptors: $(ulimit -n)"
ONENET_LOAD_DEVICES=$devices ONENET_LOAD_DURATION=${LOAD_DURATION:-60s} ONENET_LOAD_INTERVAL=${LOAD_INTERVAL:-1s} \
  go test -run '^TestLoad$' -count=1 -v -timeout 20m ./broker/
