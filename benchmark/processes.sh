#!/usr/bin/env bash
# Benchmarks real replica processes on loopback: starts N bin/server
# processes with the given algorithm, runs bin/client at each conflict rate
# with one outstanding command (latency) and then at increasing pipeline
# depths (saturation: the highest throughput of the sweep, and the latency
# at that depth), then stops the servers it started.
#
# Saturation is a sweep because a closed-loop client with a fixed depth
# measures the depth as much as the system: with 2 connections of 128
# commands in flight both unreplicated and epaxos still had idle CPU (the
# servers' batches were small and each paid its own syscalls), and the
# throughput kept rising until about 2 x 1024.
#
#   benchmark/processes.sh epaxos 3                    # algorithm, replicas
#   benchmark/processes.sh "unreplicated epaxos" 3     # several, one after the other
#   FSYNC=true DURATION=10s benchmark/processes.sh epaxos 5
#   DEPTHS="256 1024" CONFLICTS="0 100" benchmark/processes.sh epaxos 3
#   WARMUP=1s DURATION=3s benchmark/processes.sh epaxos 3   # unmeasured, then measured, per point
#
# DEPTHS are commands in flight per connection (2 connections).
#
# With several algorithms in one run, it ends with a summary: saturation
# throughput and low-load p50 per algorithm and conflict rate, and each
# one's share of the unreplicated ceiling measured in the same run (the
# machine's load changes from minute to minute; a ratio of two runs an hour
# apart means little).
#
# Each server runs with GOMAXPROCS=1 (SERVER_GOMAXPROCS overrides it). N
# servers and the load generator share this machine's cores, so a server
# gains nothing from a second P, and with one it stops waking a second
# thread (futex) for every goroutine hand-off (reader -> node -> writer):
# back to back, epaxos 3 replicas used 7.0-7.4 instead of 8.0-9.9 us of
# server CPU per command, and low-load p50 fell by 10-15%. A replica alone
# on a multi-core machine should keep Go's default.
set -euo pipefail
cd "$(dirname "$0")/.."
ALGOS="${1:-epaxos}"
N="${2:-3}"
DURATION="${DURATION:-5s}"
WARMUP="${WARMUP:-2s}"
FSYNC="${FSYNC:-false}"
CONFLICTS="${CONFLICTS:-0 2 25 100}"
DEPTHS="${DEPTHS:-128 512 1024 2048}"
work=$(mktemp -d)
go build -o "$work/server" ./bin/server
go build -o "$work/client" ./bin/client
pids=()
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
TIMEFORMAT='%U %S'
window=- # seconds a client runs: warm-up and measurement
[[ $DURATION =~ ^[0-9]+s$ && $WARMUP =~ ^[0-9]+s$ ]] && window=$((${DURATION%s} + ${WARMUP%s}))
# server_ticks is the user+system CPU of the running servers, in clock ticks.
server_ticks() {
  local t=0 p
  for p in "${pids[@]}"; do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
stop_servers() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap 'stop_servers; rm -rf "$work"' EXIT
for ALGO in $ALGOS; do
  rm -rf "$work/state"
  python3 - "$N" "$work" "$FSYNC" "$ALGO" <<'PY' 2>/dev/null || { echo "needs python3 to write the config" >&2; exit 1; }
import json, sys
n, work, fsync = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "true"
reps = [{"id": f"1.{i}", "peer": f"127.0.0.1:{17000+i}", "client": f"127.0.0.1:{17100+i}", "http": f"127.0.0.1:{17200+i}"} for i in range(1, n + 1)]
json.dump({"replicas": reps, "algorithm": sys.argv[4], "storage_dir": work + "/state", "fsync": fsync, "tick": "5ms"}, open(work + "/config.json", "w"))
PY
  for i in $(seq 1 "$N"); do
    GOMAXPROCS="${SERVER_GOMAXPROCS:-1}" "$work/server" -id "1.$i" -algorithm "$ALGO" -config "$work/config.json" -log-level warn &
    pids+=($!)
  done
  # The load generator counts a replica that refuses its connection as down
  # (and exits 1): wait until every client port accepts one (at most 10 s).
  for i in $(seq 1 "$N"); do
    for _ in $(seq 1 200); do
      (exec 3<>"/dev/tcp/127.0.0.1/$((17100 + i))") 2>/dev/null && break
      sleep 0.05
    done
  done
  for c in $CONFLICTS; do
    "$work/client" -config "$work/config.json" -conflicts "$c" -duration "$DURATION" -warmup "$WARMUP" -clients 1 -outstanding 1 -targets 1.1 |
      sed "s/^/$ALGO n=$N conflicts=$c low-load   /" | tee -a "$work/results"
    for d in $DEPTHS; do
      # CPU spent per command, by the servers together and by the client,
      # is what a share of the ceiling comes down to. The CPU is measured
      # over the whole run, the client's warm-up included, so it is divided
      # by the commands of the whole run at the measured rate.
      t0=$(server_ticks)
      { time "$work/client" -config "$work/config.json" -conflicts "$c" -duration "$DURATION" -warmup "$WARMUP" -clients 2 -outstanding "$d" >"$work/out"; } 2>"$work/time"
      t1=$(server_ticks)
      echo "$(cat "$work/out") server_cpu=$(((t1 - t0) * 1000000 / hz))us client_cpu=$(tr ' ' '+' <"$work/time" | bc)s window=$window" |
        sed "s/^/$ALGO n=$N conflicts=$c depth=2x$d /" | tee -a "$work/results"
    done
  done
  stop_servers
done
echo
python3 - "$work/results" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    algo, conf, kind = f[0], f[2].split("=")[1], f[3]
    m = re.search(r"throughput=([0-9.]+)/s.* p50=(\S+)", line)
    if not m:
        continue
    r = rows.setdefault((algo, conf), {})
    if kind == "low-load":
        r["low"] = m.group(2)
    elif float(m.group(1)) > r.get("sat", (0,))[0]:
        cpu = re.search(r"server_cpu=([0-9]+)us client_cpu=([0-9.]+)s window=([0-9]+)", line)
        ops = float(m.group(1)) * float(cpu.group(3)) if cpu else 0
        per = (f"{float(cpu.group(1)) / ops:.2f}", f"{float(cpu.group(2)) * 1e6 / ops:.2f}") if ops else ("-", "-")
        r["sat"] = (float(m.group(1)), kind.split("=")[1], m.group(2)) + per
ceiling = {c: v["sat"][0] for (a, c), v in rows.items() if a == "unreplicated" and "sat" in v}
print(f"{'algorithm':<14}{'conflicts':>10}{'saturation/s':>14}{'at depth':>10}{'p50 there':>11}{'low-load p50':>14}{'of unreplicated':>17}{'server us/op':>14}{'client us/op':>14}")
for (a, c), v in rows.items():
    sat, depth, p50, srv, cli = v.get("sat", (0, "-", "-", "-", "-"))
    share = f"{sat / ceiling[c]:.0%}" if c in ceiling and sat else "-"
    print(f"{a:<14}{c + '%':>10}{sat:>14.0f}{depth:>10}{p50:>11}{v.get('low', '-'):>14}{share:>17}{srv:>14}{cli:>14}")
PY
