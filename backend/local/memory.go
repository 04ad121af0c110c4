package local

import (
	"os/exec"
	"strconv"
)

// memoryLimitScript sets the address-space limit ($1, KiB) of the shell,
// which the function inherits through exec; see the package documentation.
const memoryLimitScript = `ulimit -v "$1" || exit 126; shift; exec "$@"`

// command starts the file directly, or through /bin/sh when it must set
// the address-space limit first.
func (rt *Runtime) command(r *run) *exec.Cmd {
	if !rt.limitMemory || r.memory <= 0 {
		return exec.Command(r.file)
	}
	kib := strconv.Itoa(r.memory * 1024)
	return exec.Command("/bin/sh", "-c", memoryLimitScript, "picasso-memory-limit", kib, r.file)
}

// probeMemoryLimit checks that /bin/sh can set an address-space limit.
func probeMemoryLimit() error {
	cmd := exec.Command("/bin/sh", "-c", `ulimit -v 1048576 && test "$(ulimit -v)" = 1048576`)
	cmd.Env = []string{"PATH=" + basePath}
	return cmd.Run()
}
