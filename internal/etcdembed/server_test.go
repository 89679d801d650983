package etcdembed

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		msg  string
	}{
		{"ok", Config{Dir: "x"}, ""},
		{"ok urls", Config{Dir: "x", ClientURL: "http://127.0.0.1:2379", PeerURL: "http://127.0.0.1:2380"}, ""},
		{"no dir", Config{}, "Dir is required"},
		{"bad scheme", Config{Dir: "x", ClientURL: "ftp://127.0.0.1:1"}, "scheme"},
		{"no port", Config{Dir: "x", PeerURL: "http://127.0.0.1"}, "PeerURL"},
		{"negative timeout", Config{Dir: "x", StartTimeout: -1}, "StartTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.msg)
			}
		})
	}
}

func put(t *testing.T, s *Server, k, v string) {
	t.Helper()
	c, err := s.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Put(ctxT(t), k, v); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s *Server, k string) string {
	t.Helper()
	c, err := s.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Get(ctxT(t), k)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Dir:           dir,
		ClientURL:     fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		PeerURL:       fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		UnsafeNoFsync: true,
		Fast:          true,
	}
	s, err := Start(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Endpoints(); len(got) != 1 || got[0] != cfg.ClientURL {
		t.Fatalf("endpoints %v, want [%s]", got, cfg.ClientURL)
	}
	put(t, s, "k", "v1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s, err = Start(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer s.Close()
	if got := get(t, s, "k"); got != "v1" {
		t.Fatalf("after restart k=%q, want v1", got)
	}
}

// recordingHandler keeps the records it handles.
type recordingHandler struct {
	mu   *sync.Mutex
	recs *[]slog.Record
}

func (h recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, r.Clone())
	return nil
}
func (h recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordingHandler) WithGroup(string) slog.Handler      { return h }

func TestLogger(t *testing.T) {
	tests := []struct {
		name    string
		verbose bool
		want    bool // expect info records
	}{
		{"quiet", false, false},
		{"verbose", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu   sync.Mutex
				recs []slog.Record
			)
			lg := slog.New(recordingHandler{mu: &mu, recs: &recs})
			s, err := Start(ctxT(t), Config{Dir: t.TempDir(), Logger: lg, Verbose: tt.verbose, UnsafeNoFsync: true, Fast: true})
			if err != nil {
				t.Fatal(err)
			}
			put(t, s, "a", "b")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			infos := 0
			for _, r := range recs {
				if r.Level < slog.LevelWarn {
					infos++
				}
				if r.Level >= slog.LevelError {
					t.Errorf("unexpected error log: %s", r.Message)
				}
				var component string
				r.Attrs(func(a slog.Attr) bool {
					if a.Key == "component" {
						component = a.Value.String()
					}
					return true
				})
				if component != "etcd" {
					t.Errorf("record %q has component %q", r.Message, component)
				}
			}
			if (infos > 0) != tt.want {
				t.Fatalf("%d info records, want some=%v", infos, tt.want)
			}
		})
	}
}

func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := Start(ctx, Config{Dir: t.TempDir(), UnsafeNoFsync: true})
	if err == nil {
		// Readiness may win the race against the cancelled context.
		_ = s.Close()
		return
	}
	if !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("got %v, want a cancellation error", err)
	}
}
