package benchmark

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// statusTimeout bounds the wait for one replica's /status.
const statusTimeout = 2 * time.Second

// Algorithms asks every replica of cfg with an HTTP address which
// algorithm it runs (its /status), all at once. Replicas that do not answer
// are left out: a replica may run another algorithm than config.json names
// (bin/server -algorithm), and results must be labelled with what ran.
func Algorithms(ctx context.Context, cfg *paxi.Config) map[paxi.ID]string {
	return askAll(ctx, cfg, func(hc *http.Client, addr string) (string, bool) {
		algo, err := askStatus(ctx, hc, addr)
		return algo, err == nil && algo != ""
	})
}

// askAll calls ask on the HTTP address of every replica of cfg that has
// one, all at once, and keeps the answers ask accepts.
func askAll[T any](ctx context.Context, cfg *paxi.Config, ask func(hc *http.Client, addr string) (T, bool)) map[paxi.ID]T {
	hc := &http.Client{Timeout: statusTimeout}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = map[paxi.ID]T{}
	)
	for _, r := range cfg.Replicas {
		if r.HTTP == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, ok := ask(hc, r.HTTP); ok {
				mu.Lock()
				out[r.ID] = v
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

func askStatus(ctx context.Context, hc *http.Client, addr string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/status", nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("/status: %s", resp.Status)
	}
	var st struct {
		Algorithm string `json:"algorithm"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return "", err
	}
	return st.Algorithm, nil
}

// AlgorithmLabel names what the replicas said they run: the one algorithm,
// or each replica's when they differ. With no answer at all it is the
// configured name, marked as unconfirmed.
func AlgorithmLabel(running map[paxi.ID]string, configured string) string {
	names := map[string]bool{}
	for _, a := range running {
		names[a] = true
	}
	switch len(names) {
	case 0:
		return configured + "(unconfirmed)"
	case 1:
		for a := range names {
			return a
		}
	}
	var parts []string
	for id, a := range running {
		parts = append(parts, string(id)+"="+a)
	}
	sort.Strings(parts)
	return "mixed(" + strings.Join(parts, ",") + ")"
}
