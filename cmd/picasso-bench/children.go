package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// readyPrefix starts the line a helper process prints once it listens.
const readyPrefix = "listening on "

// process is one child of the run: a helper or Picasso.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan error
	url    string
	// ready is the time from exec to the first successful answer.
	ready time.Duration
}

func newProcess(name, path string, args, env []string) *process {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	// A benchmark interrupted by anything must not leave servers behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return &process{name: name, cmd: cmd, exited: make(chan error, 1)}
}

func (p *process) start() error {
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	return nil
}

func (p *process) wait() { go func() { p.exited <- p.cmd.Wait() }() }

// stop asks the process to end and kills it if it has not after a while.
func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// startHelper re-executes this binary in one of its helper roles and
// waits for the address it prints.
func startHelper(role string, args ...string) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := newProcess(role, self, append([]string{role}, args...), nil)
	p.cmd.Stderr = os.Stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	started := time.Now()
	if err := p.start(); err != nil {
		return nil, err
	}
	// The helper prints this one line and nothing else, so the pipe can
	// be left to Wait afterwards.
	line, readErr := bufio.NewReader(out).ReadString('\n')
	p.wait()
	if !strings.HasPrefix(line, readyPrefix) {
		p.stop()
		return nil, fmt.Errorf("%s did not start: %q %v", role, line, readErr)
	}
	p.url = strings.TrimSpace(strings.TrimPrefix(line, readyPrefix))
	p.ready = time.Since(started)
	return p, nil
}

// startServer runs a server and polls readyURL until it answers 200,
// which is when it counts as started.
func startServer(name, path string, args, env []string, readyURL string) (*process, error) {
	return startServerWith(name, path, args, env, readyURL, nil)
}

// startServerWith is startServer with a last change to the process
// before it starts.
func startServerWith(name, path string, args, env []string, readyURL string, prepare func(*process)) (*process, error) {
	p := newProcess(name, path, args, env)
	if prepare != nil {
		prepare(p)
	}
	stderr := &tailBuffer{max: 4096}
	p.cmd.Stderr = stderr
	started := time.Now()
	if err := p.start(); err != nil {
		return nil, err
	}
	p.wait()
	client := &http.Client{Timeout: time.Second}
	for deadline := started.Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		select {
		case err := <-p.exited:
			return nil, fmt.Errorf("%s exited at start (%v): %s", name, err, stderr)
		default:
		}
		resp, err := client.Get(readyURL)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			p.ready = time.Since(started)
			return p, nil
		}
	}
	p.stop()
	return nil, fmt.Errorf("%s not ready within 30 s: %s", name, stderr)
}

// tailBuffer keeps the last bytes a process wrote, for error messages.
type tailBuffer struct {
	max int
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = b.buf[len(b.buf)-b.max:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
