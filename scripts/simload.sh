#!/usr/bin/env bash
# How many simulated devices one onenet-sim process sustains at 1 msg/s:
# for each N in SIM_DEVICES, N devices (a template multiplied) publish a
# QoS 1 datapoint every second (±0.1 s) for SIM_DURATION to the local
# broker over TCP; the accepted uploads per second over the second half of
# the run are compared with N. Needs bin/ from make build. The broker runs
# on the same machine (docs/BENCHMARKS.md, "Simulated devices").
set -euo pipefail
cd "$(dirname "$0")/.."
SIM_DEVICES=${SIM_DEVICES:-"500 1000 2000 3000"}
SIM_DURATION=${SIM_DURATION:-60}
PORT_HTTP=${PORT_HTTP:-18080}
PORT_MQTT=${PORT_MQTT:-11883}
max=0
for n in $SIM_DEVICES; do ((n > max)) && max=$n; done
dir=$(mktemp -d)
trap 'kill $web 2>/dev/null || true; rm -rf "$dir"' EXIT
key=$(head -c 32 /dev/urandom | base64)
{
	printf '{"products":[{"id":"simload01","key":"%s","devices":[' "$key"
	for ((i = 1; i <= max; i++)); do
		((i > 1)) && printf ','
		printf '{"name":"d%d"}' "$i"
	done
	printf ']}]}\n'
} >"$dir/registry.json"
cat >"$dir/load.json" <<'JSON'
{"name": "1 msg/s", "devices": [{"product": "simload01", "device": "d{n}",
  "key": {"env": "SIMLOAD_KEY", "scope": "product"},
  "publish": [{"every": 1, "jitter": 0.1, "dp": {"temp": {"random": {"min": 10, "max": 30, "decimals": 1}}}}]}]}
JSON
./bin/onenet-web -devices "$dir/registry.json" -addr 127.0.0.1:$PORT_HTTP -mqtt-addr 127.0.0.1:$PORT_MQTT >"$dir/web.log" 2>&1 &
web=$!
for _ in $(seq 100); do grep -q "MQTT over TCP" "$dir/web.log" && break; sleep 0.1; done
export SIMLOAD_KEY=$key
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for n in $SIM_DEVICES; do
	/usr/bin/time -f "onenet-sim cpu: user %Us sys %Ss, max rss %MKB" \
		./bin/onenet-sim -devices "$n" -duration "${SIM_DURATION}s" -seed 1 -target tcp://127.0.0.1:$PORT_MQTT "$dir/load.json" \
		>"$dir/out" 2>"$dir/err"
	# accepted/s from the live line at half time to the last one
	awk -v n="$n" -v half=$((SIM_DURATION / 2)) '
		/online/ { t = $1 + 0; for (i = 1; i <= NF; i++) if ($i == "accepted") a = $(i + 1) + 0
			if (t >= half && !t0) { t0 = t; a0 = a } ; t1 = t; a1 = a }
		END { r = (t1 > t0) ? (a1 - a0) / (t1 - t0) : 0; printf "N=%d: %.0f accepted/s over %ds..%ds (%.0f%% of N)\n", n, r, t0, t1, 100 * r / n }' "$dir/err"
	grep -E "^(uploads|latency)" "$dir/out" | sed 's/^/  /'
	tail -1 "$dir/err" | sed 's/^/  /'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
