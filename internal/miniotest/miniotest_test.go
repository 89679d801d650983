package miniotest

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(StopAfterRun(m))
}

// live reports whether the server answers its liveness probe.
func live(s *Server) bool {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + s.Endpoint + "/minio/health/live")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestStartStop(t *testing.T) {
	var srv *Server
	t.Run("start", func(t *testing.T) {
		srv = Start(t)
		if !live(srv) {
			t.Fatal("server not live after Start")
		}
		b1, b2 := srv.NewBucket(t), srv.NewBucket(t)
		if b1 == b2 {
			t.Fatalf("NewBucket returned %q twice", b1)
		}
		err := srv.withClient(func(c *minio.Client) error {
			ok, err := c.BucketExists(context.Background(), b1)
			if err == nil && !ok {
				t.Errorf("bucket %s does not exist", b1)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	// The subtest's cleanup stopped the server.
	select {
	case <-srv.exited:
	default:
		t.Fatal("server still running after its test ended")
	}
	if live(srv) {
		t.Fatal("server answers after stop")
	}
}

func TestShared(t *testing.T) {
	a := Shared(t)
	b := Shared(t)
	if a != b {
		t.Fatal("Shared returned two different servers")
	}
	if !live(a) {
		t.Fatal("shared server not live")
	}
	dir := a.baseDir
	StopShared()
	if live(a) {
		t.Fatal("shared server answers after StopShared")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("shared data directory %s not removed: %v", dir, err)
	}
	c := Shared(t)
	if c == a {
		t.Fatal("Shared after StopShared returned the stopped server")
	}
	c.NewBucket(t)
}

func TestFindBinaryFromEnv(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		t.Setenv("LAKESOUL_MINIO_BIN", "/nonexistent/minio")
		_, err := findBinary()
		if err == nil {
			t.Fatal("expected an error for a missing binary")
		}
	})
	t.Run("found", func(t *testing.T) {
		t.Setenv("LAKESOUL_MINIO_BIN", "")
		p, err := findBinary()
		if err != nil {
			t.Fatalf("minio binary must be installed for tests: %v", err)
		}
		t.Setenv("LAKESOUL_MINIO_BIN", p)
		q, err := findBinary()
		if err != nil || q != p {
			t.Fatalf("findBinary with LAKESOUL_MINIO_BIN=%s: %q, %v", p, q, err)
		}
	})
}
