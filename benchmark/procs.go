package benchmark

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agora-consensus/agora/internal/netutil"
	"github.com/agora-consensus/agora/paxi"
)

// Processes is a cluster of real bin/server processes on loopback, started
// and stopped by PID, for tests and tools that kill replicas for real.
type Processes struct {
	Config     *paxi.Config
	ConfigPath string
	Dir        string // run directory: config, per-replica logs and storage

	server string
	env    []string // added to each server's environment
	mu     sync.Mutex
	procs  map[paxi.ID]*proc
	starts map[paxi.ID]int // how many times each replica was started
	pids   []int           // every process ever started, for callers that check cleanup
}

type proc struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when Wait returned
}

// StartProcesses writes a configuration for n replicas of algorithm on free
// loopback ports into dir (config.json), with the given fsync setting, and
// starts the server binary once per replica. Each replica gets its own
// storage directory, dir/state/<id>, through its own copy of the
// configuration (config-<id>.json, which differs only in storage_dir), and
// logs to dir/<id>.log.
func StartProcesses(server, algorithm string, n int, dir string, fsync bool) (*Processes, error) {
	return StartProcessesEnv(server, algorithm, n, dir, fsync, nil)
}

// StartProcessesEnv is StartProcesses with env (KEY=value) added to each
// server's environment, as bin/bench's GOMAXPROCS=1.
func StartProcessesEnv(server, algorithm string, n int, dir string, fsync bool, env []string) (*Processes, error) {
	return StartProcessesWith(server, algorithm, n, dir, ProcessOptions{Fsync: fsync, Env: env})
}

// ProcessOptions are the settings of StartProcessesWith.
type ProcessOptions struct {
	Fsync bool
	Env   []string // added to each server's environment
	// SnapshotEvery and SnapshotLogBytes go to config.json's snapshot_every
	// and snapshot_log_bytes (0: the server's default).
	SnapshotEvery, SnapshotLogBytes int64
}

// StartProcessesWith is StartProcesses with options.
func StartProcessesWith(server, algorithm string, n int, dir string, o ProcessOptions) (*Processes, error) {
	fsync, env := o.Fsync, o.Env
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addrs, err := netutil.FreeLoopbackAddrs(3 * n)
	if err != nil {
		return nil, err
	}
	type rep struct {
		ID     string `json:"id"`
		Peer   string `json:"peer"`
		Client string `json:"client"`
		HTTP   string `json:"http"`
	}
	conf := struct {
		Replicas   []rep  `json:"replicas"`
		Algorithm  string `json:"algorithm"`
		StorageDir string `json:"storage_dir"`
		Fsync      bool   `json:"fsync"`
		Tick       string `json:"tick"`
		Every      int64  `json:"snapshot_every,omitempty"`
		LogBytes   int64  `json:"snapshot_log_bytes,omitempty"`
	}{Algorithm: algorithm, StorageDir: filepath.Join(dir, "state"), Fsync: fsync, Tick: "5ms",
		Every: o.SnapshotEvery, LogBytes: o.SnapshotLogBytes}
	for i := 0; i < n; i++ {
		conf.Replicas = append(conf.Replicas, rep{fmt.Sprintf("1.%d", i+1), addrs[3*i], addrs[3*i+1], addrs[3*i+2]})
	}
	js, _ := json.MarshalIndent(conf, "", "  ")
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, js, 0o644); err != nil {
		return nil, err
	}
	for _, r := range conf.Replicas {
		c := conf
		c.StorageDir = filepath.Join(dir, "state", r.ID)
		js, _ := json.MarshalIndent(c, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "config-"+r.ID+".json"), js, 0o644); err != nil {
			return nil, err
		}
	}
	cfg, err := paxi.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	p := &Processes{Config: cfg, ConfigPath: path, Dir: dir, server: server, env: env,
		procs: map[paxi.ID]*proc{}, starts: map[paxi.ID]int{}}
	for _, id := range cfg.IDs() {
		if err := p.Start(id); err != nil {
			p.Close()
			return nil, err
		}
	}
	for _, id := range cfg.IDs() {
		if err := p.WaitListening(id, 15*time.Second); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// Start starts replica id (again, after Kill, with the same id, config and
// storage directory). Its output is appended to dir/<id>.log.
func (p *Processes) Start(id paxi.ID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.procs[id]; ok {
		return fmt.Errorf("replica %s is already running", id)
	}
	f, err := os.OpenFile(filepath.Join(p.Dir, string(id)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.starts[id]++
	fmt.Fprintf(f, "--- start %d at %s\n", p.starts[id], time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(p.server, "-id", string(id), "-config", filepath.Join(p.Dir, "config-"+string(id)+".json"), "-log-level", "warn")
	cmd.Stdout, cmd.Stderr = f, f
	if len(p.env) > 0 {
		cmd.Env = append(os.Environ(), p.env...)
	}
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	pr := &proc{cmd: cmd, log: f, done: make(chan struct{})}
	go func() { cmd.Wait(); f.Close(); close(pr.done) }()
	p.procs[id] = pr
	p.pids = append(p.pids, cmd.Process.Pid)
	return nil
}

// AllPIDs lists the process id of every replica process ever started.
func (p *Processes) AllPIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.pids...)
}

// WaitListening waits until replica id accepts connections on its client port.
func (p *Processes) WaitListening(id paxi.ID, limit time.Duration) error {
	r, _ := p.Config.Replica(id)
	deadline := time.Now().Add(limit)
	for {
		if conn, err := net.DialTimeout("tcp", r.Client, time.Second); err == nil {
			conn.Close()
			return nil
		}
		p.mu.Lock()
		pr := p.procs[id]
		p.mu.Unlock()
		if pr == nil {
			return fmt.Errorf("replica %s is not running", id)
		}
		select {
		case <-pr.done:
			return fmt.Errorf("replica %s exited (%v) before listening; see %s", id, pr.cmd.ProcessState, filepath.Join(p.Dir, string(id)+".log"))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replica %s: nothing listening on %s after %v", id, r.Client, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL to replica id, by the PID it was started with, and
// waits for it to exit.
func (p *Processes) Kill(id paxi.ID) error {
	p.mu.Lock()
	pr := p.procs[id]
	delete(p.procs, id)
	p.mu.Unlock()
	if pr == nil {
		return fmt.Errorf("replica %s is not running", id)
	}
	pr.cmd.Process.Signal(syscall.SIGKILL)
	<-pr.done
	return nil
}

// Running lists the replicas currently running, sorted.
func (p *Processes) Running() []paxi.ID {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []paxi.ID
	for id := range p.procs {
		ids = append(ids, id)
	}
	paxi.SortIDs(ids)
	return ids
}

// PIDs maps each running replica to its process id.
func (p *Processes) PIDs() map[paxi.ID]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[paxi.ID]int{}
	for id, pr := range p.procs {
		m[id] = pr.cmd.Process.Pid
	}
	return m
}

// Exited reports replicas that died without being killed, with their exit
// status: a crash the caller did not cause.
func (p *Processes) Exited() map[paxi.ID]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[paxi.ID]string{}
	for id, pr := range p.procs {
		select {
		case <-pr.done:
			m[id] = pr.cmd.ProcessState.String()
		default:
		}
	}
	return m
}

// Close stops every running replica: SIGTERM, then SIGKILL after 5 s. It
// returns an error naming replicas that had to be killed.
func (p *Processes) Close() error {
	p.mu.Lock()
	procs := p.procs
	p.procs = map[paxi.ID]*proc{}
	p.mu.Unlock()
	var forced []string
	for _, pr := range procs {
		pr.cmd.Process.Signal(syscall.SIGTERM)
	}
	for id, pr := range procs {
		select {
		case <-pr.done:
		case <-time.After(5 * time.Second):
			pr.cmd.Process.Signal(syscall.SIGKILL)
			<-pr.done
			forced = append(forced, string(id))
		}
	}
	if len(forced) > 0 {
		return errors.New("replicas " + strings.Join(forced, ", ") + " ignored SIGTERM for 5 s and were killed")
	}
	return nil
}
