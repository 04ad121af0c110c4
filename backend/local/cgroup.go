package local

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// cgroupParent is the directory, in each hierarchy, that holds one cgroup
// per running call.
const cgroupParent = "picasso"

// cgroups are the hierarchies that limit a call's memory and process
// count: one cgroup v2 directory holding both controllers, or the v1
// memory and pids hierarchies.
type cgroups struct {
	version string // "v2" or "v1"
	memory  string // parent directory in the memory (v2: unified) hierarchy
	pids    string // parent directory in the pids hierarchy (v2: = memory)
}

// callCgroup is the cgroup of one call.
type callCgroup struct {
	set    *cgroups
	memory string
	pids   string
}

// findCgroups returns usable hierarchies, or why there are none: the
// gateway must be able to create cgroups with both controllers.
func findCgroups() (*cgroups, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	if root, ok := mounts["cgroup2"]; ok {
		if cg, err := prepareV2(root); err == nil && cg.probe() == nil {
			return cg, nil
		}
	}
	memRoot, okMem := mounts["memory"]
	pidsRoot, okPids := mounts["pids"]
	if !okMem || !okPids {
		return nil, errors.New("no cgroup v2 hierarchy with the memory and pids controllers, and no cgroup v1 memory and pids hierarchies")
	}
	cg := &cgroups{version: "v1", memory: filepath.Join(memRoot, cgroupParent), pids: filepath.Join(pidsRoot, cgroupParent)}
	for _, dir := range []string{cg.memory, cg.pids} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	return cg, cg.probe()
}

// probe creates and removes a cgroup like a call's: the parents may exist
// but not be writable by this process.
func (cg *cgroups) probe() error {
	c, err := cg.create("probe-"+uuid.NewString(), 64<<20, 8)
	if err != nil {
		return err
	}
	return c.remove()
}

// cgroupMounts maps "cgroup2" and each v1 controller to its mount point.
func cgroupMounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mounts := map[string]string{}
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		pre, post, ok := strings.Cut(scan.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 || fields[3] != "/" {
			continue
		}
		switch tail[0] {
		case "cgroup2":
			mounts["cgroup2"] = fields[4]
		case "cgroup":
			for _, opt := range strings.Split(tail[2], ",") {
				if opt == "memory" || opt == "pids" {
					mounts[opt] = fields[4]
				}
			}
		}
	}
	return mounts, scan.Err()
}

// prepareV2 enables memory and pids for picasso's cgroup below root.
func prepareV2(root string) (*cgroups, error) {
	controllers, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	if err != nil {
		return nil, err
	}
	have := strings.Fields(string(controllers))
	for _, c := range []string{"memory", "pids"} {
		if !slices.Contains(have, c) {
			return nil, fmt.Errorf("cgroup v2 lacks the %s controller", c)
		}
	}
	parent := filepath.Join(root, cgroupParent)
	if err := os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+memory +pids"), 0); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+memory +pids"), 0); err != nil {
		return nil, err
	}
	return &cgroups{version: "v2", memory: parent, pids: parent}, nil
}

// create makes the call's cgroup with its limits: memory (no swap beyond
// it) and process count.
func (cg *cgroups) create(name string, memoryBytes int64, maxProcs int) (*callCgroup, error) {
	c := &callCgroup{set: cg, memory: filepath.Join(cg.memory, name), pids: filepath.Join(cg.pids, name)}
	for _, dir := range c.dirs() {
		if err := os.Mkdir(dir, 0o755); err != nil {
			c.remove()
			return nil, err
		}
	}
	mem, procs := strconv.FormatInt(memoryBytes, 10), strconv.Itoa(maxProcs)
	var err error
	if cg.version == "v2" {
		err = errors.Join(writeLimit(c.memory, "memory.max", mem, false),
			writeLimit(c.memory, "memory.swap.max", "0", true),
			writeLimit(c.pids, "pids.max", procs, false))
	} else {
		// memsw (memory plus swap) exists only with swap accounting and
		// must not be below the memory limit, so it is written second.
		err = errors.Join(writeLimit(c.memory, "memory.limit_in_bytes", mem, false),
			writeLimit(c.memory, "memory.memsw.limit_in_bytes", mem, true),
			writeLimit(c.pids, "pids.max", procs, false))
	}
	if err != nil {
		c.remove()
		return nil, err
	}
	return c, nil
}

// writeLimit writes a cgroup file; an optional one may be missing.
func writeLimit(dir, file, value string, optional bool) error {
	err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0)
	if err != nil && !(optional && errors.Is(err, os.ErrNotExist)) {
		return fmt.Errorf("cgroup %s: %w", file, err)
	}
	return nil
}

// add moves the process into the call's cgroup; processes it starts
// afterwards are born there.
func (c *callCgroup) add(pid int) error {
	for _, dir := range c.dirs() {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return err
		}
	}
	return nil
}

func (c *callCgroup) dirs() []string {
	if c.memory == c.pids {
		return []string{c.memory}
	}
	return []string{c.memory, c.pids}
}

// oomKilled reports whether the kernel killed a process of the call for
// exceeding the memory limit.
func (c *callCgroup) oomKilled() bool {
	file := "memory.oom_control"
	if c.set.version == "v2" {
		file = "memory.events"
	}
	data, err := os.ReadFile(filepath.Join(c.memory, file))
	if err != nil {
		return false
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if n, ok := bytes.CutPrefix(line, []byte("oom_kill ")); ok {
			count, _ := strconv.Atoi(string(n))
			return count > 0
		}
	}
	return false
}

// removeGrace bounds the wait for the kernel to finish killing a call's
// processes before its cgroup can be removed.
const removeGrace = 5 * time.Second

// remove deletes the call's cgroup once its processes are gone (the
// sandbox's PID namespace has been killed by then).
func (c *callCgroup) remove() error {
	deadline := time.Now().Add(removeGrace)
	for _, dir := range c.dirs() {
		for {
			err := os.Remove(dir)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				return err
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}
