// Package evaluation reproduces the EPaxos paper's evaluation (Moraru,
// Andersen, Kaminsky, SOSP 2013, section 7) in the deterministic simulator
// paxi/sim, and sets the analytic optimum beside every measured latency.
//
// optimum.go derives each protocol's commit latency with no queueing from
// a latency matrix (the formulas are in docs/EVALUATION.md);
// the experiments (wide area, interference, leader placement, slow
// replica, availability, batching, tail latency) each return a figure of
// plain data, which report.go prints as tables and writes as JSON, and
// plot.go draws as SVG and PNG. bin/eval runs them all; simulation.sh
// calls it.
package evaluation
