package benchmark

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SoakSample is one replica at one instant of a soak run.
type SoakSample struct {
	T       float64 `json:"t"` // seconds since the load started
	Replica string  `json:"replica"`
	Up      bool    `json:"up"`
	// DirBytes is the size of the files in its data directory; RSSBytes
	// its resident memory (VmRSS), 0 when it is down.
	DirBytes int64 `json:"dir_bytes"`
	RSSBytes int64 `json:"rss_bytes"`
	// Executed is its agora_executions_total (-1 if /metrics did not
	// answer); Throughput the cluster's commands per second since the
	// previous sample (the same on every row of one instant).
	Executed   float64 `json:"executed"`
	Throughput float64 `json:"throughput"`
	// Snapshots saved so far, the last one's size, and the event-loop
	// pause they cost in total (agora_snapshots_total, _bytes,
	// _pause_seconds_sum) in this incarnation.
	Snapshots     float64 `json:"snapshots"`
	SnapshotBytes float64 `json:"snapshot_bytes"`
	PauseSeconds  float64 `json:"pause_s"`
}

// procStatusBytes reads a "Field:   1234 kB" line of /proc/PID/status
// (VmRSS, VmHWM) in bytes.
func procStatusBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseProcStatus(f, field)
}

// parseProcStatus finds field in the text of /proc/PID/status.
func parseProcStatus(r io.Reader, field string) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("/proc status: %s: want \"<n> kB\", got %q", field, strings.TrimSpace(rest))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc status: %s: %v", field, err)
		}
		return n << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc status: no %s line", field)
}

// dirBytes is the total size of the regular files under dir (0 if it does
// not exist). Files deleted while it walks are skipped.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// WriteSoakCSV writes the samples, one row per replica and instant.
func WriteSoakCSV(w io.Writer, samples []SoakSample) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"t_s", "replica", "up", "dir_bytes", "rss_bytes", "executed", "throughput_cmds_per_s", "snapshots", "snapshot_bytes", "pause_s"})
	for _, s := range samples {
		cw.Write([]string{strconv.FormatFloat(s.T, 'f', 1, 64), s.Replica, strconv.FormatBool(s.Up),
			strconv.FormatInt(s.DirBytes, 10), strconv.FormatInt(s.RSSBytes, 10),
			strconv.FormatFloat(s.Executed, 'f', 0, 64), strconv.FormatFloat(s.Throughput, 'f', 0, 64),
			strconv.FormatFloat(s.Snapshots, 'f', 0, 64), strconv.FormatFloat(s.SnapshotBytes, 'f', 0, 64),
			strconv.FormatFloat(s.PauseSeconds, 'f', 4, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteSoakFiles writes soak.csv, soak.json and the pictures into dir.
func WriteSoakFiles(dir string, r SoakResult) error {
	f, err := os.Create(filepath.Join(dir, "soak.csv"))
	if err != nil {
		return err
	}
	err = WriteSoakCSV(f, r.Samples)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return writeSoakPlot(dir, r)
}
