package local

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/picasso-faas/picasso"
)

// maxStderrLog bounds how much of a function's stderr reaches the log.
const maxStderrLog = 8 << 10

// pipeGrace bounds how long Wait waits for stdio after the process group
// was killed: only a process that left the group can still hold a pipe.
const pipeGrace = 2 * time.Second

// run is one execution of a function, everything decided before it starts.
type run struct {
	file      string // resolved executable
	env       []string
	stdin     io.Reader // nil: empty
	memory    int       // MiB
	timeout   time.Duration
	key       routeKey
	limit     int // max_concurrency
	callID    string
	requestID string
	log       io.Writer // receives stderr; nil: only the gateway's log does
}

// execute waits for a slot of the route, then runs the function and
// returns its stdout.
func (rt *Runtime) execute(ctx context.Context, r *run) ([]byte, error) {
	waitCtx, cancelWait := context.WithTimeout(ctx, r.timeout)
	release, err := rt.slots.acquire(waitCtx, r.key, r.limit)
	cancelWait()
	if err != nil {
		return nil, picasso.Wrap(picasso.EUNAVAILABLE, err, "Function busy: max_concurrency reached, request id %s", r.requestID)
	}
	defer release()

	runCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return rt.runProcess(runCtx, r)
}

// runProcess runs the function until it exits or ctx ends, then kills
// its process group so that nothing it started outlives the call. In a
// sandbox the group is bwrap's: killing bwrap kills the sandbox's init
// (--die-with-parent), and with it every process of its PID namespace.
func (rt *Runtime) runProcess(ctx context.Context, r *run) ([]byte, error) {
	cmd, sandboxed, err := rt.command(r)
	if err != nil {
		return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function could not be started, request id %s", r.requestID)
	}
	if sandboxed != nil {
		defer rt.cleanUp(sandboxed, r.callID)
	}
	stdout := &cappedBuffer{limit: rt.maxOutput, overflow: make(chan struct{})}
	stderr := &cappedBuffer{limit: maxStderrLog}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = pipeGrace

	// Stdin is fed by a goroutine of ours, not exec's: Wait waits for its
	// own copying goroutines, and one blocked reading a stalled request
	// body would hold the call past its timeout.
	var stdin io.WriteCloser
	if r.stdin != nil {
		var err error
		if stdin, err = cmd.StdinPipe(); err != nil {
			return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function could not be started, request id %s", r.requestID)
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function could not be started, request id %s", r.requestID)
	}
	pid := cmd.Process.Pid
	if sandboxed != nil {
		deadline, _ := ctx.Deadline()
		if err := sandboxed.confine(deadline, r.limits()); err != nil {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			cmd.Wait()
			rt.logStderr(r, stderr)
			return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function could not be started, request id %s", r.requestID)
		}
	}
	fed := make(chan error, 1)
	if stdin != nil {
		go feedStdin(stdin, r.stdin, fed)
	}
	exited := make(chan struct{})
	go func() {
		waitExited(pid)
		close(exited)
	}()

	var stopped error // why the run was cut short, if it was
	select {
	case <-exited:
	case <-stdout.overflow:
	case <-ctx.Done():
		stopped = contextError(ctx.Err(), r.requestID)
	}
	// The leader is not reaped yet, so the group id cannot have been reused.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-exited
	waitErr := cmd.Wait()
	if stdout.truncated {
		stopped = picasso.Errorf(picasso.EBADGATEWAY, "Function output too large: the limit is %d bytes, request id %s", rt.maxOutput, r.requestID)
	}

	if stderr.Len() > 0 && r.log != nil {
		r.log.Write(stderr.Bytes())
	}
	rt.logStderr(r, stderr)
	if stopped != nil {
		return nil, stopped
	}
	if sandboxed != nil && sandboxed.oomKilled() {
		return nil, picasso.Errorf(picasso.EBADGATEWAY, "Function ran out of memory: the limit is %d MiB, request id %s", r.memory, r.requestID)
	}
	select {
	case err := <-fed:
		if err != nil {
			return nil, bodyError(err)
		}
	default: // still reading, which the function did not wait for
	}
	if errors.Is(waitErr, exec.ErrWaitDelay) && cmd.ProcessState.Success() {
		rt.log.Warn("function left a process holding its output after exit", "request_id", r.requestID, "call_id", r.callID,
			"app", r.key.app, "route", r.key.path)
		waitErr = nil
	}
	if waitErr != nil {
		var exitErr *exec.ExitError
		if errors.As(waitErr, &exitErr) {
			return nil, picasso.Wrap(picasso.EBADGATEWAY, waitErr, "Function failed (%s), request id %s", exitErr.ProcessState, r.requestID)
		}
		return nil, picasso.Wrap(picasso.EBADGATEWAY, waitErr, "Function failed, request id %s", r.requestID)
	}
	return stdout.Bytes(), nil
}

// cleanUp releases a finished sandbox off the call's path (its answer is
// ready); Close waits for the releases in flight.
func (rt *Runtime) cleanUp(s *sandboxCmd, callID string) {
	rt.cleanups.Add(1)
	go func() {
		defer rt.cleanups.Done()
		if err := s.finish(); err != nil {
			rt.log.Warn("local runtime: could not remove a call's cgroup", "call_id", callID, "error", err)
		}
	}()
}

func (rt *Runtime) logStderr(r *run, stderr *cappedBuffer) {
	if stderr.Len() > 0 {
		rt.log.Warn("function stderr", "request_id", r.requestID, "call_id", r.callID,
			"app", r.key.app, "route", r.key.path, "stderr", stderr.String(), "truncated", stderr.truncated)
	}
}

// limits are the call's resource limits: CPU time is the timeout
// (rounded up) plus one second, so that the timeout ends a busy loop first.
func (r *run) limits() callLimits {
	return callLimits{
		memoryBytes: int64(r.memory) << 20,
		cpuSeconds:  uint64((r.timeout+time.Second-1)/time.Second) + 1,
	}
}

func contextError(err error, requestID string) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return picasso.Wrap(picasso.ETIMEOUT, err, "Function timed out, request id %s", requestID)
	}
	return picasso.Wrap(picasso.EUNAVAILABLE, err, "Call cancelled, request id %s", requestID)
}

// waitExited blocks until the process has exited without reaping it, so
// that its pid, and with it the process group id, stays reserved until
// the group has been killed.
func waitExited(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return
		}
	}
}
