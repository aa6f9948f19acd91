package node

import (
	"sync"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one replica's Prometheus registry. Each replica has its own, so
// that several replicas in one process (tests, in-process benchmarks) do not
// collide.
type Metrics struct {
	Registry   *prometheus.Registry
	proposals  prometheus.Counter
	executions prometheus.Counter
	duplicates prometheus.Counter
	persisted  prometheus.Counter
	batch      prometheus.Histogram
	fsync      prometheus.Histogram
	logBytes   prometheus.Gauge
	// snapshots (snapshot.go)
	snapshots        prometheus.Counter
	snapshotFailures prometheus.Counter
	snapshotBytes    prometheus.Gauge
	snapshotSeconds  prometheus.Histogram
	snapshotPause    prometheus.Histogram
	restartSeconds   prometheus.Gauge
	queue            *prometheus.GaugeVec
	msgsOut          *prometheus.CounterVec
	bytesOut         *prometheus.CounterVec
	msgsIn           *prometheus.CounterVec
	bytesIn          *prometheus.CounterVec
	dropped          *prometheus.CounterVec

	mu        sync.Mutex
	protoStat []paxi.Stat // latest protocol statistics, exported by Collect

	cacheMu sync.RWMutex
	cache   map[[3]string][2]prometheus.Counter // per (direction, peer, kind): messages, bytes
}

// NewMetrics creates the registry and every metric of a replica.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry:   prometheus.NewRegistry(),
		proposals:  prometheus.NewCounter(prometheus.CounterOpts{Name: "agora_proposals_total", Help: "Client commands proposed at this replica."}),
		executions: prometheus.NewCounter(prometheus.CounterOpts{Name: "agora_executions_total", Help: "Commands applied to the state machine."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "agora_duplicate_executions_total", Help: "Commands decided again after they executed; the state machine skipped them."}),
		persisted:  prometheus.NewCounter(prometheus.CounterOpts{Name: "agora_persisted_records_total", Help: "Protocol records made durable."}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "agora_batch_events", Help: "Events handled per protocol Ready.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8)}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "agora_fsync_seconds", Help: "Durable log sync latency.",
			Buckets: prometheus.ExponentialBuckets(1e-5, 3, 12)}),
		logBytes:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "agora_log_bytes", Help: "Bytes of durable log (segments and snapshots) on disk."}),
		snapshots:        prometheus.NewCounter(prometheus.CounterOpts{Name: "agora_snapshots_total", Help: "State-machine snapshots saved (the log truncated behind each)."}),
		snapshotFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "agora_snapshot_failures_total", Help: "Snapshots that could not be taken or saved."}),
		snapshotBytes:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "agora_snapshot_bytes", Help: "Payload size of the last snapshot saved."}),
		snapshotSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "agora_snapshot_seconds", Help: "Time to take and save a snapshot, serialising to the directory fsync.",
			Buckets: prometheus.ExponentialBuckets(1e-3, 3, 10)}),
		snapshotPause: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "agora_snapshot_pause_seconds", Help: "Time the event loop stops to serialise a snapshot.",
			Buckets: prometheus.ExponentialBuckets(1e-4, 3, 10)}),
		restartSeconds: prometheus.NewGauge(prometheus.GaugeOpts{Name: "agora_restart_replay_seconds", Help: "Time to rebuild the replica from its snapshot and log at start."}),
		queue:          prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "agora_queue_depth", Help: "Items waiting in each queue of the replica."}, []string{"queue"}),
		msgsOut:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agora_messages_sent_total", Help: "Messages written to peers."}, []string{"peer", "kind"}),
		bytesOut:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agora_bytes_sent_total", Help: "Bytes written to peers."}, []string{"peer", "kind"}),
		msgsIn:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agora_messages_received_total", Help: "Messages received from peers."}, []string{"peer", "kind"}),
		bytesIn:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agora_bytes_received_total", Help: "Bytes received from peers."}, []string{"peer", "kind"}),
		dropped:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agora_messages_dropped_total", Help: "Messages the transport dropped."}, []string{"peer", "kind", "reason"}),
		cache:          map[[3]string][2]prometheus.Counter{},
	}
	m.Registry.MustRegister(m.proposals, m.executions, m.duplicates, m.persisted, m.batch, m.fsync, m.logBytes, m.queue,
		m.snapshots, m.snapshotFailures, m.snapshotBytes, m.snapshotSeconds, m.snapshotPause, m.restartSeconds,
		m.msgsOut, m.bytesOut, m.msgsIn, m.bytesIn, m.dropped, protocolCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) setProtocolStats(s []paxi.Stat) {
	m.mu.Lock()
	m.protoStat = s
	m.mu.Unlock()
}

// counters finds the (messages, bytes) counters of one peer and kind; the
// cache spares the transport's hot path the label hashing.
func (m *Metrics) counters(dir string, peer paxi.ID, kind string) [2]prometheus.Counter {
	k := [3]string{dir, string(peer), kind}
	m.cacheMu.RLock()
	c, ok := m.cache[k]
	m.cacheMu.RUnlock()
	if ok {
		return c
	}
	if dir == "out" {
		c = [2]prometheus.Counter{m.msgsOut.WithLabelValues(k[1], kind), m.bytesOut.WithLabelValues(k[1], kind)}
	} else {
		c = [2]prometheus.Counter{m.msgsIn.WithLabelValues(k[1], kind), m.bytesIn.WithLabelValues(k[1], kind)}
	}
	m.cacheMu.Lock()
	m.cache[k] = c
	m.cacheMu.Unlock()
	return c
}

// Observer returns the transport observer that feeds the per-peer message metrics.
func (m *Metrics) Observer() transport.Observer { return observer{m} }

type observer struct{ m *Metrics }

func (o observer) Sent(to paxi.ID, kind string, bytes int) {
	c := o.m.counters("out", to, kind)
	c[0].Inc()
	c[1].Add(float64(bytes))
}

func (o observer) Received(from paxi.ID, kind string, bytes int) {
	c := o.m.counters("in", from, kind)
	c[0].Inc()
	c[1].Add(float64(bytes))
}

func (o observer) Dropped(to paxi.ID, kind string, reason transport.DropReason) {
	o.m.dropped.WithLabelValues(string(to), kind, string(reason)).Inc()
}

// protocolCollector exports the statistics a protocol reports (fast paths,
// dependency counts, ...) as agora_protocol_<name>.
type protocolCollector struct{ m *Metrics }

func (protocolCollector) Describe(chan<- *prometheus.Desc) {}

func (c protocolCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	stats := c.m.protoStat
	c.m.mu.Unlock()
	for _, s := range stats {
		kind := prometheus.GaugeValue
		if s.Counter {
			kind = prometheus.CounterValue
		}
		help := s.Help
		if help == "" {
			help = s.Name
		}
		d := prometheus.NewDesc("agora_protocol_"+s.Name, help, nil, nil)
		if m, err := prometheus.NewConstMetric(d, kind, s.Value); err == nil {
			ch <- m
		}
	}
}
