#!/usr/bin/env bash
# Real processes against the simulator: five bin/server replicas on
# loopback, each peer link delayed by half its pair's round trip from the
# paper's matrix (config.json's emulated_rtt), one bin/client per site
# (10 closed-loop connections at that site's replica, all writes, private
# keys), then the per-site medians beside the simulator's on the same
# matrix and load (bin/eval -compare-emulated). Each protocol runs RUNS
# times on a fresh cluster; the median of the runs' medians is compared,
# so that one run disturbed by the machine's other work does not decide;
# a short run without emulated delays (one client a site) prints beside
# as "loopback": the real processes' own cost per command at that moment.
# Exits 1 if a site is more than 10% off, 2 if something did not start.
#
#   evaluation/emulated.sh                          # all three, 3 runs each (about 4 min)
#   PROTOCOL=multipaxos RUNS=1 DURATION=5s evaluation/emulated.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PROTOCOL="${PROTOCOL:-epaxos multipaxos mencius}"
DURATION="${DURATION:-10s}"
RUNS="${RUNS:-3}"
FSYNC="${FSYNC:-false}" # the simulator models no disk; FSYNC=true to see what syncs add
PORT="${PORT:-37000}"
top=$(mktemp -d)
mkdir -p bin/.build
go build -o bin/.build/server ./bin/server && go build -o bin/.build/client ./bin/client &&
  go build -o bin/.build/eval ./bin/eval || exit 2
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  pids=()
}
trap 'stop; rm -rf "$top"' EXIT
sites=(CA VA EU OR JP)

# one PROTOCOL DIR CLIENTS DURATION [-loopback]: a fresh cluster, one
# client process per site with CLIENTS connections, their reports in
# DIR/client-<site>.json.
one() {
  local dir=$2
  mkdir -p "$dir"
  bin/.build/eval -emulated-config "$dir" -protocol "$1" -port "$PORT" -fsync="$FSYNC" ${5:-} || return 2
  for z in 1 2 3 4 5; do
    bin/.build/server -id "$z.1" -config "$dir/config.json" >"$dir/server-$z.log" 2>&1 &
    pids+=($!)
  done
  sleep 2
  local cpids=() status=0
  for z in 1 2 3 4 5; do
    bin/.build/client -config "$dir/config.json" -targets "$z.1" -clients "$3" -outstanding 1 -conflicts 0 -writes 1 \
      -duration "$4" -warmup 2s -json -out none >"$dir/client-${sites[$((z-1))]}.json" 2>"$dir/client-$z.err" &
    cpids+=($!)
  done
  for p in "${cpids[@]}"; do wait "$p" || status=2; done
  if [ "$status" != 0 ]; then
    echo "a client failed:"; cat "$dir"/client-*.err; tail -5 "$dir"/server-*.log
  fi
  stop
  return "$status"
}

status=0
for proto in $PROTOCOL; do
  for r in $(seq 1 "$RUNS"); do
    echo "--- $proto run $r of $RUNS ($(uptime | sed 's/.*load/load/'))"
    one "$proto" "$top/$proto/run$r" 10 "$DURATION" || exit 2
  done
  # The baseline beside, not subtracted: the same processes without
  # emulated delays, one client a site, what they cost per command now.
  one "$proto" "$top/$proto/loopback" 1 3s -loopback || exit 2
  bin/.build/eval -compare-emulated "$top/$proto" -protocol "$proto" -duration "$DURATION" || status=1
done
exit "$status"
