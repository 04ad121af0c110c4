package local

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/picasso-faas/picasso"
)

// endMarker is what a bootstrap writes to stderr after each call, so that
// the stderr written before it is that call's log.
var endMarker = []byte("\x1epicasso-end\x1e\n")

// worker is one interpreter process, in its own sandbox, serving calls of
// one route version one at a time.
type worker struct {
	key     string
	cmd     *exec.Cmd
	sandbox *sandboxCmd // nil: SandboxNone
	in      *os.File
	out     *os.File
	reader  *bufio.Reader
	ends    chan struct{} // one per endMarker seen on stderr
	exited  chan struct{}

	logMu sync.Mutex
	log   *cappedBuffer // the current call's stderr

	childEnds []*os.File // the worker's ends of stdin and stdout, closed once it started

	lastUsed time.Time
}

// startWorker starts argv (paths as the sandbox sees them) in dir.
func (rt *Runtime) startWorker(key, dir string, argv, env []string, memory int, startBy time.Time) (_ *worker, err error) {
	w := &worker{key: key, ends: make(chan struct{}, 16), exited: make(chan struct{}), log: &cappedBuffer{limit: maxStderrLog}}
	if rt.sandbox != nil {
		// No CPU-time rlimit: it would add up over the worker's calls;
		// each call's timeout kills a busy worker instead.
		limits := callLimits{memoryBytes: int64(memory) << 20}
		if w.sandbox, err = rt.sandbox.command("worker-"+strconv.FormatInt(time.Now().UnixNano(), 36), dir, argv, env, limits); err != nil {
			return nil, err
		}
		w.cmd = w.sandbox.cmd
		defer func() {
			if err != nil {
				w.kill(rt)
			}
		}()
		if err := w.pipes(); err != nil {
			return nil, err
		}
		if err := w.cmd.Start(); err != nil {
			return nil, err
		}
		go w.wait()
		if err := w.sandbox.confine(startBy, limits); err != nil {
			return nil, err
		}
		return w, nil
	}
	w.cmd = exec.Command(argv[0], argv[1:]...)
	w.cmd.Env = env
	w.cmd.Dir = dir
	if err := w.pipes(); err != nil {
		return nil, err
	}
	if err := w.cmd.Start(); err != nil {
		for _, f := range append(w.childEnds, w.in, w.out) {
			f.Close()
		}
		return nil, err
	}
	go w.wait()
	return w, nil
}

// pipes connects stdin and stdout through pipes that support deadlines,
// and stderr to the log of the current call.
func (w *worker) pipes() error {
	inR, inW, err := os.Pipe()
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return err
	}
	errR, err := w.cmd.StderrPipe()
	if err != nil {
		return err
	}
	w.cmd.Stdin, w.cmd.Stdout = inR, outW
	w.childEnds = []*os.File{inR, outW}
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	w.in, w.out, w.reader = inW, outR, bufio.NewReader(outR)
	go w.readStderr(errR)
	return nil
}

// wait closes the parent's copies of the worker's pipe ends, so that its
// death shows as EOF, and reaps it.
func (w *worker) wait() {
	for _, f := range w.childEnds {
		f.Close()
	}
	w.cmd.Wait()
	close(w.exited)
}

func (w *worker) readStderr(r io.Reader) {
	var pending []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.Index(pending, endMarker)
			if i < 0 {
				break
			}
			w.appendLog(pending[:i])
			pending = pending[i+len(endMarker):]
			w.ends <- struct{}{}
		}
		// Keep a tail that may be the start of a marker.
		if keep := len(endMarker) - 1; len(pending) > keep {
			w.appendLog(pending[:len(pending)-keep])
			pending = pending[len(pending)-keep:]
		}
		if err != nil {
			w.appendLog(pending)
			return
		}
	}
}

func (w *worker) appendLog(p []byte) {
	w.logMu.Lock()
	w.log.Write(p)
	w.logMu.Unlock()
}

// takeLog returns the current call's stderr and starts a new one.
func (w *worker) takeLog() *cappedBuffer {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	log := w.log
	w.log = &cappedBuffer{limit: maxStderrLog}
	return log
}

// reply is a bootstrap's answer to one call.
type reply struct {
	kind string // "result" (JSON), "error" (JSON type and message), "text"
	body []byte
}

// errWorkerBroken marks failures after which the worker cannot serve again.
var errWorkerBroken = errors.New("worker broken")

// call sends one request and reads the reply, until deadline. Any
// failure leaves the worker unusable; the caller kills it.
func (w *worker) call(request []byte, deadline time.Time, maxOutput int64) (*reply, error) {
	w.in.SetWriteDeadline(deadline)
	w.out.SetReadDeadline(deadline)
	frame := append([]byte(strconv.Itoa(len(request))+"\n"), request...)
	if _, err := w.in.Write(frame); err != nil {
		return nil, w.failure(err)
	}
	header, err := w.reader.ReadString('\n')
	if err != nil {
		return nil, w.failure(err)
	}
	kind, size, ok := strings.Cut(strings.TrimSuffix(header, "\n"), " ")
	n, convErr := strconv.ParseInt(size, 10, 64)
	if !ok || convErr != nil || n < 0 {
		return nil, fmt.Errorf("%w: bad reply header %q", errWorkerBroken, header)
	}
	if n > maxOutput {
		return nil, fmt.Errorf("%w: %w", errWorkerBroken, picasso.Errorf(picasso.EBADGATEWAY, "Function output too large: the limit is %d bytes", maxOutput))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(w.reader, body); err != nil {
		return nil, w.failure(err)
	}
	select {
	case <-w.ends:
	case <-time.After(time.Until(deadline)):
		return nil, fmt.Errorf("%w: no end of call on stderr", errWorkerBroken)
	}
	return &reply{kind: kind, body: body}, nil
}

func (w *worker) failure(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: %w", errWorkerBroken, picasso.Errorf(picasso.ETIMEOUT, "Function timed out"))
	}
	return fmt.Errorf("%w: the worker exited or closed its pipes: %v", errWorkerBroken, err)
}

// oomKilled reports whether the worker hit its memory limit.
func (w *worker) oomKilled() bool { return w.sandbox != nil && w.sandbox.oomKilled() }

// kill ends the worker and everything it started (its process group; in
// a sandbox, bwrap's death ends the sandbox's PID namespace).
func (w *worker) kill(rt *Runtime) {
	if w.cmd.Process != nil {
		_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
		<-w.exited
	}
	for _, f := range append(w.childEnds, w.in, w.out) {
		if f != nil {
			f.Close()
		}
	}
	if w.sandbox != nil {
		rt.cleanUp(w.sandbox, w.key)
	}
}

// pid is the host pid of the worker's process (bwrap, in a sandbox).
func (w *worker) pid() int { return w.cmd.Process.Pid }
