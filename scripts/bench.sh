#!/usr/bin/env bash
# make bench: measures onenet-wasm against mqtt.js and bare mochi in one
# run on this machine, prints a table and writes bench/results.json.
# BENCH_QUICK=1 for a quick run; extra arguments go to the harness
# (e.g. -only clients,flood -v). See bench/main.go and docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# 5,000 WebSocket devices: a descriptor each in the broker's process and
# in the harness's.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
	echo "bench: ulimit -n is $(ulimit -n); 5,000 devices need about 12,000 (raise the hard limit)" >&2
fi
[ -f node_modules/mqtt/dist/mqtt.esm.js ] || npm ci --no-audit --no-fund --loglevel=error
go build -o bin/onenet-bench ./bench
exec ./bin/onenet-bench "$@"
