package node

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// TestAdminAndPprofServedOnlyAsConfigured checks who gets /admin/faults and
// /debug/pprof under each admin_access, while /status stays open to all.
func TestAdminAndPprofServedOnlyAsConfigured(t *testing.T) {
	cases := []struct {
		access, remote string
		want           int
	}{
		{paxi.AdminLoopback, "127.0.0.1:5000", http.StatusOK},
		{paxi.AdminLoopback, "[::1]:5000", http.StatusOK},
		{paxi.AdminLoopback, "10.1.2.3:5000", http.StatusForbidden},
		{paxi.AdminLoopback, "[2001:db8::1]:5000", http.StatusForbidden},
		{paxi.AdminLoopback, "garbage", http.StatusForbidden},
		{paxi.AdminAny, "10.1.2.3:5000", http.StatusOK},
		{paxi.AdminNone, "127.0.0.1:5000", http.StatusNotFound},
	}
	for _, access := range []string{paxi.AdminLoopback, paxi.AdminAny, paxi.AdminNone} {
		cfg := testConfig(t, 1, "unreplicated", "")
		cfg.AdminAccess = access
		h := startAll(t, cfg)[0].httpHandler()
		for _, tc := range cases {
			if tc.access != access {
				continue
			}
			for _, path := range []string{"/admin/faults", "/debug/pprof/", "/debug/pprof/cmdline"} {
				r := httptest.NewRequest(http.MethodGet, path, nil)
				r.RemoteAddr = tc.remote
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != tc.want {
					t.Errorf("admin_access %q: GET %s from %s answered %d, want %d", access, path, tc.remote, w.Code, tc.want)
				}
			}
			r := httptest.NewRequest(http.MethodGet, "/status", nil)
			r.RemoteAddr = tc.remote
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Errorf("admin_access %q: GET /status from %s answered %d", access, tc.remote, w.Code)
			}
		}
	}
}
