package local

import (
	_ "embed"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/picasso-faas/picasso"
)

// The bootstraps that load a route's handler and speak the worker
// protocol (docs/packages.md). They are passed on the interpreter's
// command line, so the sandbox needs nothing but the package mounted.
var (
	//go:embed bootstrap/python3.py
	pythonBootstrap string
	//go:embed bootstrap/nodejs.js
	nodeBootstrap string
	//go:embed bootstrap/bash.sh
	bashBootstrap string
)

// langRuntime is one language runtime: an interpreter of the host and the
// command that runs the bootstrap with a handler.
type langRuntime struct {
	info        picasso.RuntimeInfo
	interpreter string // absolute, symlinks resolved, below /usr (visible in the sandbox)
	handlerForm *regexp.Regexp
	argv        func(interpreter, handler string) []string
}

var (
	moduleHandler = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\.[A-Za-z_$][A-Za-z0-9_$]*$`)
	scriptHandler = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$`)
)

// knownRuntimes are the runtimes the local runtime can offer; those
// whose interpreter is missing on the host are left out.
func knownRuntimes() []*langRuntime {
	return []*langRuntime{
		{
			info:        picasso.RuntimeInfo{Name: "python3", HandlerForm: "module.function", DefaultHandler: "main.handler"},
			interpreter: "/usr/bin/python3",
			handlerForm: moduleHandler,
			argv: func(interp, handler string) []string {
				return []string{interp, "-B", "-u", "-c", pythonBootstrap, handler}
			},
		},
		{
			info:        picasso.RuntimeInfo{Name: "nodejs", HandlerForm: "module.function", DefaultHandler: "index.handler"},
			interpreter: "node",
			handlerForm: moduleHandler,
			argv: func(interp, handler string) []string {
				return []string{interp, "-e", nodeBootstrap, handler}
			},
		},
		{
			info:        picasso.RuntimeInfo{Name: "bash", HandlerForm: "script path", DefaultHandler: "main.sh"},
			interpreter: "bash",
			handlerForm: scriptHandler,
			argv: func(interp, handler string) []string {
				return []string{interp, "-c", bashBootstrap, "picasso-bash", handler}
			},
		},
	}
}

// findRuntimes resolves each known runtime's interpreter and asks it for
// its version.
func findRuntimes() map[string]*langRuntime {
	found := map[string]*langRuntime{}
	for _, lr := range knownRuntimes() {
		path, err := exec.LookPath(lr.interpreter)
		if err != nil {
			continue
		}
		if path, err = filepath.EvalSymlinks(path); err != nil || !strings.HasPrefix(path, "/usr/") {
			continue
		}
		lr.interpreter = path
		lr.info.Version = interpreterVersion(path)
		found[lr.info.Name] = lr
	}
	return found
}

var versionNumber = regexp.MustCompile(`\d+\.\d+(\.\d+)?`)

func interpreterVersion(path string) string {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "unknown"
	}
	if v := versionNumber.FindString(string(out)); v != "" {
		return v
	}
	return "unknown"
}

// Runtimes lists the language runtimes available here, by name.
func (rt *Runtime) Runtimes() []picasso.RuntimeInfo {
	var list []picasso.RuntimeInfo
	for _, lr := range knownRuntimes() {
		if found, ok := rt.langs[lr.info.Name]; ok {
			list = append(list, found.info)
		}
	}
	return list
}

// CheckHandler refuses unknown runtimes and handlers of the wrong form.
func (rt *Runtime) CheckHandler(runtime, handler string) error {
	lr, ok := rt.langs[runtime]
	if !ok {
		names := make([]string, 0, len(rt.langs))
		for _, info := range rt.Runtimes() {
			names = append(names, info.Name)
		}
		return picasso.Errorf(picasso.EINVALID, "Unknown runtime %q: this gateway offers %s", runtime, strings.Join(names, ", "))
	}
	if handler != "" && !lr.handlerForm.MatchString(handler) {
		return picasso.Errorf(picasso.EINVALID, "Invalid handler %q for runtime %s: want %s, e.g. %s",
			handler, runtime, lr.info.HandlerForm, lr.info.DefaultHandler)
	}
	return nil
}

// handlerOf is the route's handler, or its runtime's default.
func (lr *langRuntime) handlerOf(route *picasso.Route) string {
	if route.Handler != "" {
		return route.Handler
	}
	return lr.info.DefaultHandler
}
