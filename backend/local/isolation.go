package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sys/unix"
)

// setUpIsolation prepares the sandbox the options ask for and checks
// that it works by running one.
func (rt *Runtime) setUpIsolation(opts Options) error {
	switch opts.Sandbox {
	case SandboxNone:
		rt.log.Warn("local runtime: no sandbox, functions run as the gateway's user and can read what it can (its secrets included)")
		if err := probeMemoryLimit(); err != nil {
			rt.log.Warn("local runtime: route memory is advisory, /bin/sh cannot set an address-space limit", "error", err)
		} else {
			rt.limitMemory = true
		}
		return nil
	case "", SandboxBwrap:
	default:
		return fmt.Errorf("local: unknown sandbox %q: want bwrap or none", opts.Sandbox)
	}
	if opts.SandboxUser == "" {
		opts.SandboxUser = DefaultSandboxUser
	}
	if opts.TmpSizeBytes <= 0 {
		opts.TmpSizeBytes = DefaultTmpSizeBytes
	}
	if opts.MaxProcesses <= 0 {
		opts.MaxProcesses = DefaultMaxProcesses
	}
	sb, err := newSandbox(opts)
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	if cg, err := findCgroups(); err != nil {
		rt.log.Warn("local runtime: no usable cgroups, memory and process count are limited by rlimits (address space, and processes per user across all calls)", "error", err)
	} else {
		sb.cgroups = cg
	}
	if sb.setpriv == "" {
		rt.log.Warn("local runtime: the gateway does not run as root, so functions run as its user inside the sandbox", "uid", sb.uid)
	}
	if sb.network {
		rt.log.Warn("local runtime: functions may use the network, including the host's loopback services unless a firewall stops them")
	}
	if err := rt.probeSandbox(sb); err != nil {
		return fmt.Errorf("local: %w: %w", ErrSandboxUnavailable, err)
	}
	rt.sandbox = sb
	rt.log.Info("local runtime: every call runs in its own sandbox", sb.describe()...)
	return nil
}

// probeSandbox runs "true" in a sandbox like a call's.
func (rt *Runtime) probeSandbox(sb *sandbox) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	limits := callLimits{memoryBytes: 64 << 20, cpuSeconds: 10}
	s, err := sb.command("probe-"+uuid.NewString(), rt.dir, []string{"true"}, []string{"PATH=" + basePath}, limits)
	if err != nil {
		return err
	}
	stderr := &cappedBuffer{limit: maxStderrLog}
	s.cmd.Stderr = stderr
	err = s.cmd.Start()
	if err == nil {
		deadline, _ := ctx.Deadline()
		if err = s.confine(deadline, limits); err != nil {
			s.cmd.Process.Kill()
		}
		err = errors.Join(err, s.cmd.Wait())
	}
	err = errors.Join(err, s.finish())
	if err != nil && stderr.Len() > 0 {
		// One line: the error ends up in picasso-api's start failure.
		return fmt.Errorf("%w: %s", err, strings.Join(strings.Fields(stderr.String()), " "))
	}
	return err
}

// SandboxInForce names the isolation calls run with, for the start log.
func (rt *Runtime) SandboxInForce() Sandbox {
	if rt.sandbox == nil {
		return SandboxNone
	}
	return SandboxBwrap
}

// closeInheritedFiles marks every descriptor above stderr close-on-exec.
// Go opens its own that way, but descriptors the gateway inherited from
// whatever started it are not, and every function would inherit them.
func closeInheritedFiles() error {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}
