#!/usr/bin/env bash
# Real processes against the simulator: five bin/server replicas on
# loopback, each peer link delayed by half its pair's round trip from the
# paper's matrix (config.json's emulated_rtt), one bin/client per site
# (10 closed-loop connections at that site's replica, all writes, private
# keys), then the per-site medians beside the simulator's on the same
# matrix and load (bin/eval -compare-emulated; within 10% or exit 1).
#
#   evaluation/emulated.sh                  # epaxos, 10 s measured
#   PROTOCOL=multipaxos DURATION=5s evaluation/emulated.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PROTOCOL="${PROTOCOL:-epaxos}"
DURATION="${DURATION:-10s}"
PORT="${PORT:-37000}"
dir=$(mktemp -d)
mkdir -p bin/.build
go build -o bin/.build/server ./bin/server && go build -o bin/.build/client ./bin/client &&
  go build -o bin/.build/eval ./bin/eval || exit 2
bin/.build/eval -emulated-config "$dir" -protocol "$PROTOCOL" -port "$PORT" || exit 2
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
for z in 1 2 3 4 5; do
  bin/.build/server -id "$z.1" -config "$dir/config.json" >"$dir/server-$z.log" 2>&1 &
  pids+=($!)
done
sleep 2
sites=(CA VA EU OR JP)
cpids=()
for z in 1 2 3 4 5; do
  bin/.build/client -config "$dir/config.json" -targets "$z.1" -clients 10 -outstanding 1 -conflicts 0 -writes 1 \
    -duration "$DURATION" -warmup 2s -json >"$dir/client-${sites[$((z-1))]}.json" 2>"$dir/client-$z.err" &
  cpids+=($!)
done
status=0
for p in "${cpids[@]}"; do wait "$p" || status=1; done
if [ "$status" != 0 ]; then
  echo "a client failed:"; cat "$dir"/client-*.err; tail -5 "$dir"/server-*.log
fi
bin/.build/eval -compare-emulated "$dir" -protocol "$PROTOCOL" -duration "$DURATION" || status=1
exit "$status"
