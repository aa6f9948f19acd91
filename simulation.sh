#!/usr/bin/env bash
# The main job: simulate every replicated protocol on the paper's five
# wide-area sites (CA, VA, EU, OR, JP; round-trip times measured between AWS
# regions, see data/latency/README.md) at 0% and 100% interference, check
# each run for linearizability and execution order, and print per-site
# latency. Deterministic: the same seed prints the same numbers. Needs only Go.
#
#   ./simulation.sh                 # default seed 1, 30 s of virtual time
#   SEED=7 DURATION=60s ./simulation.sh
#
# Multi-Paxos runs with its leader in CA (replica 1.1), as in the paper.
# Interference changes nothing for Multi-Paxos and Mencius (they order
# every command), so they run at 0% only.
set -euo pipefail
cd "$(dirname "$0")"
SEED="${SEED:-1}"
DURATION="${DURATION:-30s}"
PROTOCOLS="${PROTOCOLS:-epaxos multipaxos mencius}"
mkdir -p bin/.build
go build -o bin/.build/sim ./bin/sim

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
for proto in $PROTOCOLS; do
  conflicts="0 100"
  if [ "$proto" != epaxos ]; then conflicts=0; fi
  for conflict in $conflicts; do
    echo "=== $proto, 5 sites (CA VA EU OR JP), conflicts=$conflict%, seed=$SEED"
    out=$(bin/.build/sim -protocol "$proto" -n 5 -latency wan -clients 10 -conflicts "$conflict" -keys 1 \
      -writes 1 -duration "$DURATION" -seed "$SEED" | grep -v '^  [0-9]\.[0-9] up=')
    echo "$out"
    echo
    # One row of the closing table: the median latency at each site.
    name="$proto"
    if [ "$proto" = epaxos ]; then name="$proto $conflict%"; fi
    echo "$out" | awk -v name="$name" '
      $1 ~ /^(CA|VA|EU|OR|JP)$/ { p50[$1] = $4 }
      END { printf "%-16s %10s %10s %10s %10s %10s\n", name, p50["CA"], p50["VA"], p50["EU"], p50["OR"], p50["JP"] }' >>"$summary"
  done
done

echo "=== median commit latency per site (p50), seed=$SEED"
printf "%-16s %10s %10s %10s %10s %10s\n" "protocol" CA VA EU OR JP
cat "$summary"
echo

for proto in $PROTOCOLS; do
  echo "=== swarm: 20 seeds with random faults (crashes, partitions, loss), $proto, 3 replicas"
  bin/.build/sim -protocol "$proto" -n 3 -latency lan -duration 5s -seeds 20 -faults random -quiesce 500ms
done
