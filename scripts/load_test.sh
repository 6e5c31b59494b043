#!/usr/bin/env bash
# Load test of `unified serve` with wrk (apt-get install wrk) on loopback: trains the digits MLP (1 epoch), exports it
# to ONNX, then serves it twice, with and without micro-batching, each under 64 connections for 30 s (DURATION and
# CONNECTIONS override). Prints one JSON line per mode. Not a CI test: the numbers depend on the machine and its load.
# Needs a Release build: dotnet build src/Cli -c Release.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
unified="src/Cli/bin/Release/net10.0/unified.dll"
[ -f "$unified" ] || { echo "error: $unified is missing; run dotnet build src/Cli -c Release" >&2; exit 1; }
duration=${DURATION:-30s}
connections=${CONNECTIONS:-64}
threads=${WRK_THREADS:-2}

work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

dotnet "$unified" fit --model mlp --epochs 1 --run-dir "$work/run" >/dev/null
dotnet "$unified" export --checkpoint "$work/run/last.ckpt" --model mlp --output "$work/mlp.onnx" >/dev/null

for mode in batching no-batching; do
  flags=()
  [ "$mode" = no-batching ] && flags=(--no-batching)
  dotnet "$unified" serve --model "$work/mlp.onnx" --port 0 "${flags[@]}" >"$work/serve.out" 2>"$work/serve.err" &
  server=$!
  for _ in $(seq 300); do grep -q '^listening on ' "$work/serve.out" && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$work/serve.out")
  [ -n "$url" ] || { echo "error: the server did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
  result=$(wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s -s scripts/wrk_predict.lua "$url/predict" | tail -1)
  batches=$(curl -s "$url/metrics" | awk '/^unified_serving_batch_size_sum/ {s=$2} /^unified_serving_batch_size_count/ {c=$2} END {if (c > 0) printf "%.2f", s / c; else print 0}')
  kill -TERM "$server"
  status=0
  wait "$server" || status=$?
  server=""
  echo "{\"mode\": \"$mode\", \"connections\": $connections, \"duration\": \"$duration\", \"mean_rows_per_inference\": $batches, \"server_exit\": $status, \"wrk\": $result}"
done
