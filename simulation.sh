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
# Multi-Paxos and Mencius join the comparison (PROTOCOLS) when their
# packages land.
set -euo pipefail
cd "$(dirname "$0")"
SEED="${SEED:-1}"
DURATION="${DURATION:-30s}"
PROTOCOLS="${PROTOCOLS:-epaxos}"
mkdir -p bin/.build
go build -o bin/.build/sim ./bin/sim

for proto in $PROTOCOLS; do
  for conflict in 0 1; do
    echo "=== $proto, 5 sites (CA VA EU OR JP), conflict=$conflict, seed=$SEED"
    bin/.build/sim -protocol "$proto" -n 5 -latency wan -clients 10 -conflict "$conflict" -keys 1 \
      -writes 1 -duration "$DURATION" -seed "$SEED" | grep -v '^  [0-9]\.[0-9] up='
    echo
  done
done

echo "=== swarm: 20 seeds with random faults (crashes, partitions, loss), epaxos, 3 replicas"
bin/.build/sim -protocol epaxos -n 3 -latency lan -duration 5s -seeds 20 -faults random -quiesce 500ms
