#!/usr/bin/env bash
# The main job: reproduce the EPaxos paper's evaluation in the deterministic
# simulator, with the analytic optimum beside every per-site latency, then
# run a short swarm of seeds with random faults per protocol. Needs only Go.
#
#   ./simulation.sh                 # seed 1, 10 s of virtual load per wide-area run
#   QUICK=1 ./simulation.sh         # every experiment, shorter (under 30 s)
#   SEED=7 DURATION=30s ./simulation.sh
#   EMULATED=1 ./simulation.sh      # also real processes against the simulator (evaluation/emulated.sh)
#   OUT=/tmp/eval ./simulation.sh   # results.json and pictures (default results/simulation)
#
# The experiments (bin/eval, package evaluation; docs/EVALUATION.md):
# per-site latency on the paper's five sites (CA VA EU OR JP) and three
# (CA VA EU) for EPaxos (0%, optimized and basic fast quorum; 100%),
# Multi-Paxos (leader in CA) and Mencius, each beside its optimum; the
# interference sweep; Multi-Paxos's leader at each site; a slow replica;
# a crash mid-run (availability); batching on and off; tail latency under
# open-loop Zipf keys. It exits non-zero if a checked median is more than
# 2% off its optimum or an experiment's expected outcome does not hold.
# Round-trip times were measured between AWS regions (data/latency/README.md).
# Deterministic: the same seed prints the same numbers.
set -uo pipefail
cd "$(dirname "$0")"
SEED="${SEED:-1}"
OUT="${OUT:-results/simulation}"
PROTOCOLS="${PROTOCOLS:-epaxos multipaxos mencius}"
quick=()
seeds=8
swarm_duration=5s
if [ -n "${QUICK:-}" ]; then
  quick=(-quick)
  seeds=2
  swarm_duration=2s
fi
duration=()
if [ -n "${DURATION:-}" ]; then duration=(-duration "$DURATION"); fi
mkdir -p bin/.build
go build -o bin/.build/sim ./bin/sim && go build -o bin/.build/eval ./bin/eval || exit 2

status=0
bin/.build/eval "${quick[@]}" "${duration[@]}" -seed "$SEED" -out "$OUT" || status=1
echo

for proto in $PROTOCOLS; do
  echo "=== swarm: $seeds seeds with random faults (crashes, partitions, loss), $proto, 3 replicas"
  bin/.build/sim -protocol "$proto" -n 3 -latency lan -duration "$swarm_duration" -seeds "$seeds" \
    -seed "$SEED" -faults random -quiesce 500ms || status=1
done

# EMULATED=1 also runs real processes with emulated wide-area delays
# against the simulator (evaluation/emulated.sh, about 3 minutes; not by
# default, so that the default stays under 2 minutes).
if [ -n "${EMULATED:-}" ]; then
  echo
  env -u DURATION evaluation/emulated.sh || status=1
fi
exit "$status"
