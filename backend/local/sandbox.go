package local

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// Sandbox names how calls are isolated from the host.
type Sandbox string

const (
	// SandboxBwrap runs every call in its own bubblewrap sandbox.
	SandboxBwrap Sandbox = "bwrap"
	// SandboxNone runs calls as plain processes of the gateway's user.
	SandboxNone Sandbox = "none"
)

// ErrSandboxUnavailable is wrapped by New when SandboxBwrap was asked for
// and bubblewrap cannot run here.
var ErrSandboxUnavailable = errors.New("bubblewrap sandbox unavailable")

// ErrInvalidSandboxUser is wrapped by New when Options.SandboxUser does
// not name an existing user other than root.
var ErrInvalidSandboxUser = errors.New("invalid sandbox user")

// Defaults of the sandbox's Options.
const (
	DefaultSandboxUser  = "nobody"
	DefaultTmpSizeBytes = 16 << 20
	DefaultMaxProcesses = 64
	maxOpenFiles        = 1024
)

// functionsMount is where the functions directory appears in the sandbox.
const functionsMount = "/functions"

// systemDirs are bound read-only (or recreated as the same symlinks, on
// merged-/usr systems) so that interpreters and their libraries work.
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// systemEtc is the part of /etc that programs need to start: the
// loader's cache, the alternatives symlinks of /usr/bin, name service
// switch and hosts, time zone. Nothing in it is secret. (Each entry costs
// two mounts per call, so the list is short.)
var systemEtc = []string{"alternatives", "ld.so.cache", "localtime", "nsswitch.conf", "hosts"}

// networkEtc is added when calls may use the network.
var networkEtc = []string{"resolv.conf", "host.conf", "gai.conf", "ssl/certs", "ca-certificates", "ca-certificates.conf"}

// sandbox is the bubblewrap setup shared by every call of a Runtime.
type sandbox struct {
	bwrap   string
	setpriv string // switches to uid/gid inside; empty when not root
	uid     int
	gid     int
	network bool
	tmpSize int64
	maxProc int
	cgroups *cgroups // nil: limits fall back to rlimits
	system  []string // systemOptions, computed once
}

// newSandbox finds bwrap (and setpriv, which drops to the sandbox user
// inside the sandbox when the gateway runs as root) and resolves the user.
func newSandbox(opts Options) (*sandbox, error) {
	bwrap, err := exec.LookPath("bwrap")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSandboxUnavailable, err)
	}
	sb := &sandbox{bwrap: bwrap, network: opts.AllowNetwork, tmpSize: opts.TmpSizeBytes, maxProc: opts.MaxProcesses}
	if os.Geteuid() != 0 {
		// Without root, bwrap uses a user namespace of the gateway's own
		// user and cannot switch to another one.
		sb.uid, sb.gid = os.Geteuid(), os.Getegid()
		sb.system = sb.systemOptions()
		return sb, nil
	}
	if sb.uid, sb.gid, err = lookupUser(opts.SandboxUser); err != nil {
		return nil, err
	}
	if sb.setpriv, err = exec.LookPath("setpriv"); err != nil {
		return nil, fmt.Errorf("%w: setpriv (util-linux) is needed to drop to the sandbox user: %w", ErrSandboxUnavailable, err)
	}
	if sb.setpriv, err = filepath.EvalSymlinks(sb.setpriv); err != nil || !strings.HasPrefix(sb.setpriv, "/usr/") {
		return nil, fmt.Errorf("%w: setpriv must be under /usr, which the sandbox sees", ErrSandboxUnavailable)
	}
	sb.system = sb.systemOptions()
	return sb, nil
}

// lookupUser resolves a user name, a uid or "uid:gid" to numbers; root
// is refused.
func lookupUser(spec string) (uid, gid int, err error) {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidSandboxUser, spec, why) }
	if u, g, ok := strings.Cut(spec, ":"); ok {
		if uid, err = strconv.Atoi(u); err == nil {
			gid, err = strconv.Atoi(g)
		}
		if err != nil {
			return 0, 0, bad("want a user name, a uid or uid:gid")
		}
	} else {
		u, err := user.Lookup(spec)
		if err != nil {
			if u, err = user.LookupId(spec); err != nil {
				return 0, 0, bad("no such user")
			}
		}
		if uid, err = strconv.Atoi(u.Uid); err == nil {
			gid, err = strconv.Atoi(u.Gid)
		}
		if err != nil {
			return 0, 0, bad("not a numeric uid/gid")
		}
	}
	if uid <= 0 || gid <= 0 {
		return 0, 0, bad("must not be root")
	}
	return uid, gid, nil
}

// describe says what the sandbox enforces, for the start log.
func (sb *sandbox) describe() []any {
	limits := "rlimits"
	if sb.cgroups != nil {
		limits = "cgroup " + sb.cgroups.version
	}
	return []any{"sandbox", SandboxBwrap, "uid", sb.uid, "gid", sb.gid, "network", sb.network, "limits", limits}
}

// systemOptions are the bubblewrap options every call shares: the
// namespaces and the read-only system part of the root.
func (sb *sandbox) systemOptions() []string {
	args := []string{"--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "picasso"}
	if !sb.network {
		args = append(args, "--unshare-net")
	}
	if sb.setpriv == "" {
		args = append(args, "--unshare-user")
	}
	for _, d := range systemDirs {
		if target, err := os.Readlink(d); err == nil {
			args = append(args, "--symlink", target, d)
		} else {
			args = append(args, "--ro-bind-try", d, d)
		}
	}
	args = append(args, "--perms", "0755", "--dir", "/etc")
	etc := systemEtc
	if sb.network {
		etc = append(etc[:len(etc):len(etc)], networkEtc...)
	}
	for _, name := range etc {
		p := "/etc/" + name
		args = append(args, "--ro-bind-try", p, p)
	}
	return append(args,
		"--proc", "/proc",
		"--dev", "/dev",
		"--size", strconv.FormatInt(sb.tmpSize, 10), "--perms", "1777", "--tmpfs", "/tmp",
		"--new-session",
		"--die-with-parent",
		"--cap-drop", "ALL",
	)
}

// bwrapOptions are the bubblewrap options of one call with env, and the
// command that runs argv (paths as the sandbox sees them). fds 4 and 5
// are the info and block pipes of sandboxCmd.
func (sb *sandbox) bwrapOptions(dir string, argv, env []string) (options, command []string) {
	args := append(sb.system[:len(sb.system):len(sb.system)], "--ro-bind", dir, functionsMount, "--chdir", functionsMount)
	command = argv
	if sb.setpriv != "" {
		// setpriv needs these three to drop the bounding set and switch
		// user; the switch itself clears every capability.
		args = append(args, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP")
		command = append([]string{sb.setpriv,
			"--reuid=" + strconv.Itoa(sb.uid), "--regid=" + strconv.Itoa(sb.gid), "--clear-groups",
			"--bounding-set=-all", "--inh-caps=-all", "--"}, argv...)
	}
	args = append(args, "--clearenv")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		args = append(args, "--setenv", k, v)
	}
	return append(args, "--info-fd", "4", "--block-fd", "5"), command
}
