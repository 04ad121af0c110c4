package local

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// callLimits are the resource limits of one call.
type callLimits struct {
	memoryBytes int64 // 0: none
	cpuSeconds  uint64
}

// sandboxCmd is the bwrap command of one call and the two pipes of its
// start handshake: bwrap reports the pid of the sandbox's init on info,
// then waits for a byte on block before it starts the function, so the
// init is in the call's cgroup and under its rlimits before the function
// or anything it forks exists.
type sandboxCmd struct {
	sb     *sandbox
	cmd    *exec.Cmd
	info   *os.File
	block  *os.File
	passed []*os.File // the child's copies, closed once it started
	cgroup *callCgroup
}

// command prepares the sandbox that runs argv (paths inside the sandbox)
// with env, dir bound read-only at functionsMount. The options go
// through a memfd (--args), not the command line, which every user of
// the host can read and which would show the call's config.
func (sb *sandbox) command(name, dir string, argv, env []string, limits callLimits) (_ *sandboxCmd, err error) {
	s := &sandboxCmd{sb: sb}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	options, command := sb.bwrapOptions(dir, argv, env)
	args, err := memfdWith("picasso-bwrap-args", strings.Join(options, "\x00")+"\x00")
	if err != nil {
		return nil, err
	}
	s.passed = append(s.passed, args)
	infoW := (*os.File)(nil)
	if s.info, infoW, err = os.Pipe(); err != nil {
		return nil, err
	}
	s.passed = append(s.passed, infoW)
	blockR := (*os.File)(nil)
	if blockR, s.block, err = os.Pipe(); err != nil {
		return nil, err
	}
	s.passed = append(s.passed, blockR)

	if sb.cgroups != nil {
		if s.cgroup, err = sb.cgroups.create(name, limits.memoryBytes, sb.maxProc); err != nil {
			return nil, fmt.Errorf("creating the call's cgroup: %w", err)
		}
	}
	s.cmd = exec.Command(sb.bwrap, append([]string{"--args", "3", "--"}, command...)...)
	s.cmd.ExtraFiles = s.passed // fds 3, 4 and 5
	s.cmd.Env = []string{}      // bwrap's own environment shows in /proc/1/environ inside
	s.cmd.Dir = "/"
	return s, nil
}

// memfdWith returns a file at offset 0 holding content.
func memfdWith(name, content string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// confine runs after Start: it waits (until deadline) for the sandbox's
// init, puts it in the call's cgroup, sets its rlimits and lets it start
// the function.
func (s *sandboxCmd) confine(deadline time.Time, limits callLimits) error {
	for _, f := range s.passed {
		f.Close()
	}
	s.passed = nil
	s.info.SetReadDeadline(deadline)
	var info struct {
		ChildPid int `json:"child-pid"`
	}
	if err := json.NewDecoder(s.info).Decode(&info); err != nil || info.ChildPid <= 0 {
		return fmt.Errorf("the sandbox did not start: %v", err)
	}
	if s.cgroup != nil {
		if err := s.cgroup.add(info.ChildPid); err != nil {
			return fmt.Errorf("moving the sandbox into its cgroup: %w", err)
		}
	}
	if err := s.sb.setRlimits(info.ChildPid, limits); err != nil {
		return fmt.Errorf("setting the sandbox's rlimits: %w", err)
	}
	if _, err := s.block.Write([]byte{1}); err != nil {
		return fmt.Errorf("starting the function in the sandbox: %w", err)
	}
	return nil
}

// setRlimits limits open files and CPU time, and memory and processes
// where no cgroup does.
func (sb *sandbox) setRlimits(pid int, limits callLimits) error {
	set := map[int]uint64{unix.RLIMIT_NOFILE: maxOpenFiles, unix.RLIMIT_CPU: limits.cpuSeconds}
	if sb.cgroups == nil {
		set[unix.RLIMIT_NPROC] = uint64(sb.maxProc)
		if limits.memoryBytes > 0 {
			set[unix.RLIMIT_AS] = uint64(limits.memoryBytes)
		}
	}
	for resource, value := range set {
		if err := unix.Prlimit(pid, resource, &unix.Rlimit{Cur: value, Max: value}, nil); err != nil {
			return err
		}
	}
	return nil
}

// oomKilled reports whether the call hit its cgroup's memory limit.
func (s *sandboxCmd) oomKilled() bool {
	return s.cgroup != nil && s.cgroup.oomKilled()
}

// finish releases what the call held, once its process has been waited for.
func (s *sandboxCmd) finish() error {
	s.closeAll()
	if s.cgroup != nil {
		return s.cgroup.remove()
	}
	return nil
}

func (s *sandboxCmd) closeAll() {
	for _, f := range append(s.passed, s.info, s.block) {
		if f != nil {
			f.Close()
		}
	}
	s.passed = nil
}
