package local

import (
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
)

// memoryLimitScript sets the address-space limit ($1, KiB) of the shell,
// which the function inherits through exec; see the package documentation.
const memoryLimitScript = `ulimit -v "$1" || exit 126; shift; exec "$@"`

// command prepares the call's process: a sandbox, or the file itself
// (through /bin/sh when it must set the address-space limit first).
func (rt *Runtime) command(r *run) (*exec.Cmd, *sandboxCmd, error) {
	if rt.sandbox != nil {
		rel, err := filepath.Rel(rt.dir, r.file)
		if err != nil {
			return nil, nil, err
		}
		s, err := rt.sandbox.command(r.callID, rt.dir, []string{path.Join(functionsMount, filepath.ToSlash(rel))}, r.env, r.limits())
		if err != nil {
			return nil, nil, err
		}
		return s.cmd, s, nil
	}
	cmd := exec.Command(r.file)
	if rt.limitMemory && r.memory > 0 {
		kib := strconv.Itoa(r.memory * 1024)
		cmd = exec.Command("/bin/sh", "-c", memoryLimitScript, "picasso-memory-limit", kib, r.file)
	}
	cmd.Env = r.env
	cmd.Dir = rt.dir
	return cmd, nil, nil
}

// probeMemoryLimit checks that /bin/sh can set an address-space limit.
func probeMemoryLimit() error {
	cmd := exec.Command("/bin/sh", "-c", `ulimit -v 1048576 && test "$(ulimit -v)" = 1048576`)
	cmd.Env = []string{"PATH=" + basePath}
	return cmd.Run()
}
