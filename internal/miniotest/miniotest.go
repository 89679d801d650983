package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// installHint is the command that installs the MinIO version the project
// tests against.
const installHint = "run `make deps` (go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c)"

const (
	accessKey = "lakesoul-test"
	secretKey = "lakesoul-test-secret"

	readyTimeout  = 60 * time.Second
	stopGrace     = 5 * time.Second
	startAttempts = 3
)

// Server is a running MinIO server. Connect to Endpoint over plain HTTP
// with AccessKey and SecretKey; the region is us-east-1.
type Server struct {
	Endpoint  string // host:port, always on 127.0.0.1
	AccessKey string
	SecretKey string

	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has exited
	logFile *os.File
	baseDir string
	ownsDir bool // remove baseDir on stop

	stopOnce sync.Once
	buckets  atomic.Int64
}

// Start launches a private MinIO server for one test and stops it when the
// test ends. It fails the test if the server cannot start.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	srv, err := launch(bin, t.TempDir(), false)
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	t.Cleanup(srv.stop)
	return srv
}

var shared struct {
	mu      sync.Mutex
	started bool
	srv     *Server
	err     error
}

// Shared returns the test binary's shared MinIO server, starting it on the
// first call. Tests sharing it isolate themselves with NewBucket. The server
// lives until StopShared (or Main / StopAfterRun) stops it; if nobody does,
// it dies with the test binary but leaves its temporary directory behind.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		shared.srv, shared.err = startShared()
	}
	if shared.err != nil {
		t.Fatalf("miniotest: shared server: %v", shared.err)
	}
	return shared.srv
}

func startShared() (*Server, error) {
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "miniotest-")
	if err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	srv, err := launch(bin, dir, true)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return srv, nil
}

// StopShared stops the shared server if it is running and removes its data.
// A later Shared call starts a new one. Safe to call when none was started.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.stop()
	}
	shared.started, shared.srv, shared.err = false, nil, nil
}

// TestingM is the part of *testing.M that StopAfterRun needs; goleak's
// VerifyTestMain accepts the same interface.
type TestingM interface {
	Run() int
}

// StopAfterRun wraps m so that running it also stops the shared server,
// before any leak check that the caller performs after Run:
//
//	goleak.VerifyTestMain(miniotest.StopAfterRun(m))
func StopAfterRun(m TestingM) TestingM {
	return stopAfter{m}
}

type stopAfter struct{ m TestingM }

func (s stopAfter) Run() int {
	defer StopShared()
	return s.m.Run()
}

// Main runs the tests, stops the shared server and exits. Use it as the
// whole body of TestMain.
func Main(m *testing.M) {
	os.Exit(StopAfterRun(m).Run())
}

// NewBucket creates a bucket with a fresh unique name and returns the name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test-%d-%s", s.buckets.Add(1), randomHex(4))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.withClient(func(c *minio.Client) error {
		return c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: "us-east-1"})
	})
	if err != nil {
		t.Fatalf("miniotest: create bucket %s: %v", name, err)
	}
	return name
}

// withClient runs f with a client whose connections are closed afterwards,
// so no connection goroutine outlives the call.
func (s *Server) withClient(f func(*minio.Client) error) error {
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections()
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:    false,
		Region:    "us-east-1",
		Transport: tr,
	})
	if err != nil {
		return err
	}
	return f(c)
}

// findBinary locates the MinIO server binary.
func findBinary() (string, error) {
	if p := os.Getenv("LAKESOUL_MINIO_BIN"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("LAKESOUL_MINIO_BIN=%q is not an executable file; %s", p, installHint)
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	var dirs []string
	if gp := os.Getenv("GOPATH"); gp != "" {
		for _, d := range filepath.SplitList(gp) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		if p := filepath.Join(d, "minio"); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("minio server binary not found; %s", installHint)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// launch starts MinIO with its data under baseDir and waits until it serves
// requests. A port taken between choosing and binding it is retried.
func launch(bin, baseDir string, ownsDir bool) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		srv, err := launchOnce(bin, baseDir, ownsDir, attempt)
		if err == nil {
			return srv, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launchOnce(bin, baseDir string, ownsDir bool, attempt int) (*Server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(baseDir, "data"+strconv.Itoa(attempt))
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	logPath := filepath.Join(baseDir, "minio"+strconv.Itoa(attempt)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log file: %w", err)
	}

	endpoint := "127.0.0.1:" + strconv.Itoa(ports[0])
	cmd := exec.Command(bin, "server",
		"--address", endpoint,
		"--console-address", "127.0.0.1:"+strconv.Itoa(ports[1]),
		dataDir)
	cmd.Env = append(filteredEnv(),
		"MINIO_ROOT_USER="+accessKey,
		"MINIO_ROOT_PASSWORD="+secretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	// Writing to an *os.File keeps os/exec from starting copy goroutines.
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	setParentDeathSignal(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}

	srv := &Server{
		Endpoint:  endpoint,
		AccessKey: accessKey,
		SecretKey: secretKey,
		cmd:       cmd,
		exited:    make(chan struct{}),
		logFile:   logFile,
		baseDir:   baseDir,
		ownsDir:   ownsDir,
	}
	go func() {
		_ = cmd.Wait()
		close(srv.exited)
	}()

	if err := srv.waitReady(); err != nil {
		srv.kill()
		return nil, fmt.Errorf("%w\nminio log (%s):\n%s", err, logPath, logTail(logPath))
	}
	return srv, nil
}

// waitReady polls until the server lists buckets with our credentials.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errors.New("minio exited during startup")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		lastErr = s.withClient(func(c *minio.Client) error {
			_, err := c.ListBuckets(ctx)
			return err
		})
		cancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-s.exited:
			return errors.New("minio exited during startup")
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("minio not ready after %v: %v", readyTimeout, lastErr)
}

// stop terminates the server gracefully (SIGTERM), killing it if it does not
// exit within stopGrace, then removes its data if the server owns it.
func (s *Server) stop() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopGrace):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		_ = s.logFile.Close()
		if s.ownsDir {
			_ = os.RemoveAll(s.baseDir)
		}
	})
}

// kill ends a server that never became ready.
func (s *Server) kill() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
		_ = s.logFile.Close()
	})
}

// freePorts reserves n distinct free TCP ports on 127.0.0.1 and releases
// them for the server to bind.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// filteredEnv is the current environment without MINIO_* variables, so a
// developer's MinIO settings cannot change how test servers behave.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIO_") {
			env = append(env, kv)
		}
	}
	return env
}

func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	const max = 4096
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return string(data)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
