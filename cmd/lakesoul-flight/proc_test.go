package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the server binary that process tests build once; TestMain
// removes it.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// serverBinary builds cmd/lakesoul-flight once per test binary.
func serverBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "lakesoul-flight-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "lakesoul-flight")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is a server process started by startProc.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	addr   chan string   // the Flight address, once the banner is printed
	exited chan struct{} // closed when the process ended
	err    error         // its exit error, once exited is closed
}

var bannerRE = regexp.MustCompile(`Arrow Flight SQL on (\S+)`)

// startProc starts the server binary on dataDir listening on listen, with
// extra flags.
func startProc(t *testing.T, dataDir, listen string, args ...string) *proc {
	t.Helper()
	bin := serverBinary(t)
	args = append([]string{"serve", "--listen", listen, "--metrics-listen", "", "--data-dir", dataDir,
		"--shutdown-timeout", "2s"}, args...)
	p := &proc{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, addr: make(chan string, 1), exited: make(chan struct{})}
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := bannerRE.FindStringSubmatch(sc.Text()); m != nil {
				p.addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// waitAddr waits until the server serves and returns its Flight address.
func (p *proc) waitAddr(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case a := <-p.addr:
		return a
	case <-p.exited:
		t.Fatalf("server exited while starting: %v\n%s", p.err, p.stderr.String())
	case <-time.After(within):
		t.Fatalf("server not serving within %s\n%s", within, p.stderr.String())
	}
	return ""
}

// waitExit waits for the process to end and returns its exit code.
func (p *proc) waitExit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("process %d still running after %s\n%s", p.cmd.Process.Pid, within, p.stderr.String())
	}
	return 0
}

func (p *proc) signal(sig syscall.Signal) { _ = p.cmd.Process.Signal(sig) }

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill() {
	p.signal(syscall.SIGKILL)
	<-p.exited
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
