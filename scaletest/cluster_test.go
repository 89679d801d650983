package scaletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// buildServer builds the lakesoul-flight binary of this tree into a
// temporary directory and returns its path.
func buildServer(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found above the test: %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "lakesoul-flight")
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/lakesoul-flight")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/lakesoul-flight: %v\n%s", err, out)
	}
	return bin
}

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// etcdCluster is a multi-member etcd cluster embedded in the test process.
type etcdCluster struct {
	members []*embed.Etcd
	clients []string // client URL of each member
	closed  []bool
}

// startEtcdCluster starts n members that form one cluster, waits until it
// serves, and closes the members still running when the test ends.
func startEtcdCluster(t *testing.T, n int) *etcdCluster {
	t.Helper()
	ports := freePorts(t, 2*n)
	peer := func(i int) string { return fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]) }
	var initial []string
	for i := range n {
		initial = append(initial, fmt.Sprintf("m%d=%s", i, peer(i)))
	}
	c := &etcdCluster{closed: make([]bool, n)}
	t.Cleanup(func() {
		for i := range c.members {
			c.close(i)
		}
	})
	for i := range n {
		cu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]))
		pu, _ := url.Parse(peer(i))
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = t.TempDir()
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "scaletest"
		cfg.ClusterState = embed.ClusterStateFlagNew
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		cfg.EnableGRPCGateway = false
		cfg.UnsafeNoFsync = true
		// Shorter than the defaults (100 ms, 1 s) but with room for a
		// busy two-core machine.
		cfg.TickMs, cfg.ElectionMs = 50, 500
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			t.Fatalf("etcd member %d: %v", i, err)
		}
		c.members = append(c.members, e)
		c.clients = append(c.clients, cu.String())
	}
	timeout := time.After(30 * time.Second)
	for i, e := range c.members {
		select {
		case <-e.Server.ReadyNotify():
		case err := <-e.Err():
			t.Fatalf("etcd member %d failed: %v", i, err)
		case <-timeout:
			t.Fatalf("etcd cluster not ready after 30s")
		}
	}
	return c
}

// endpoints returns the client URLs of every member, comma-separated.
func (c *etcdCluster) endpoints() string { return strings.Join(c.clients, ",") }

// leader returns the index of the member that leads, or -1.
func (c *etcdCluster) leader() int {
	for i, e := range c.members {
		if !c.closed[i] && e.Server.MemberID() == e.Server.Leader() {
			return i
		}
	}
	return -1
}

// close stops member i; closing it twice does nothing.
func (c *etcdCluster) close(i int) {
	if !c.closed[i] {
		c.closed[i] = true
		c.members[i].Close()
	}
}

// replica is a lakesoul-flight serve process.
type replica struct {
	name    string
	addr    string // Flight SQL host:port
	metrics string // /metrics and /healthz host:port
	logPath string

	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
}

// bannerWriter collects a replica's standard output and reports when the
// start banner arrives.
type bannerWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	once  sync.Once
	ready chan struct{}
}

func (w *bannerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "Arrow Flight SQL on") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

// startReplica starts `lakesoul-flight serve` with args plus its own
// listen, advertise, metrics and data-dir flags, and waits until it
// serves. Environment variables in env are added to a copy of the test's
// environment without any other LAKESOUL_ variable. The process is
// stopped when the test ends.
func startReplica(t *testing.T, bin, name string, args, env []string) *replica {
	t.Helper()
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LAKESOUL_") {
			base = append(base, kv)
		}
	}
	dir := t.TempDir()
	// A port picked here may be taken before the server binds it: retry
	// with fresh ones.
	for attempt := 1; ; attempt++ {
		ports := freePorts(t, 2)
		r := &replica{
			name:    name,
			addr:    fmt.Sprintf("127.0.0.1:%d", ports[0]),
			metrics: fmt.Sprintf("127.0.0.1:%d", ports[1]),
			logPath: filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, attempt)),
			exited:  make(chan struct{}),
		}
		logFile, err := os.Create(r.logPath)
		if err != nil {
			t.Fatal(err)
		}
		out := &bannerWriter{ready: make(chan struct{})}
		full := append([]string{"serve",
			"--listen", r.addr, "--advertise", r.addr, "--metrics-listen", r.metrics,
			"--data-dir", filepath.Join(dir, "data"), "--shutdown-timeout", "5s"}, args...)
		r.cmd = exec.Command(bin, full...)
		r.cmd.Env = append(base, env...)
		r.cmd.Stdout, r.cmd.Stderr = out, logFile
		r.cmd.SysProcAttr = &syscall.SysProcAttr{}
		setParentDeathSignal(r.cmd.SysProcAttr)
		if err := r.cmd.Start(); err != nil {
			_ = logFile.Close()
			t.Fatalf("start %s: %v", name, err)
		}
		go func() {
			_ = r.cmd.Wait()
			_ = logFile.Close()
			close(r.exited)
		}()
		select {
		case <-out.ready:
			t.Cleanup(func() { r.stop(t) })
			return r
		case <-r.exited:
			log, _ := os.ReadFile(r.logPath)
			if attempt < 3 && bytes.Contains(log, []byte("address already in use")) {
				continue
			}
			t.Fatalf("%s exited while starting:\n%s", name, tail(log, 4000))
		case <-time.After(60 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.exited
			log, _ := os.ReadFile(r.logPath)
			t.Fatalf("%s not serving after 60s:\n%s", name, tail(log, 4000))
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (r *replica) kill() error {
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-r.exited
	return nil
}

// stop ends the process with SIGTERM, then SIGKILL after 10 s. When the
// test failed it logs the tail of the replica's log.
func (r *replica) stop(t *testing.T) {
	select {
	case <-r.exited:
	default:
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(10 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	}
	if t.Failed() {
		log, _ := os.ReadFile(r.logPath)
		t.Logf("log of %s:\n%s", r.name, tail(log, 3000))
	}
}

// healthy reports whether the replica's /healthz answers 200.
func (r *replica) healthy(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.metrics+"/healthz", nil)
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// tail returns at most the last n bytes of b.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
