//go:build tools

// Package tools pins dependencies that are only used by tests and benchmarks,
// so that `go mod tidy` keeps them and a fresh clone builds offline from the
// module cache filled by `go mod download`.
package tools

import (
	_ "github.com/anishathalye/porcupine"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/spf13/pflag"
	_ "github.com/vmihailenco/msgpack/v5"
	_ "gonum.org/v1/gonum/stat"
	_ "gonum.org/v1/plot"
)
