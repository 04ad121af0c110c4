package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// buildPicasso compiles ./cmd/picasso-api of the module picasso-bench
// runs in, as a user would deploy it.
func buildPicasso(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "picasso-api")
	return bin, goBuild(ctx, root, bin)
}

// buildBaseline compiles ./cmd/picasso-api as it was at a git ref of the
// module's repository and returns the binary and the commit. The tree is
// exported with git archive rather than checked out as a worktree: that
// changes nothing in the repository, so an interrupted run leaves nothing
// behind to prune, and the export goes with the run's directory.
func buildBaseline(ctx context.Context, ref, dir string) (bin, commit string, err error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", "", err
	}
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--verify", "--quiet", "--short", ref+"^{commit}").Output()
	if err != nil {
		return "", "", fmt.Errorf("--baseline-ref %q is no commit of %s", ref, root)
	}
	commit = strings.TrimSpace(string(out))
	// The module may sit below the repository's top.
	prefix, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--show-prefix").Output()
	if err != nil {
		return "", "", fmt.Errorf("git rev-parse --show-prefix in %s: %v", root, err)
	}
	src := filepath.Join(dir, "baseline-src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return "", "", err
	}
	defer os.RemoveAll(src)
	archive := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", commit)
	extract := exec.CommandContext(ctx, "tar", "-x", "-C", src)
	if extract.Stdin, err = archive.StdoutPipe(); err != nil {
		return "", "", err
	}
	var archiveErr, extractErr strings.Builder
	archive.Stderr, extract.Stderr = &archiveErr, &extractErr
	if err := extract.Start(); err != nil {
		return "", "", err
	}
	if err := archive.Run(); err != nil {
		extract.Wait()
		return "", "", fmt.Errorf("git archive %s: %v: %s", commit, err, archiveErr.String())
	}
	if err := extract.Wait(); err != nil {
		return "", "", fmt.Errorf("tar -x of git archive %s: %v: %s", commit, err, extractErr.String())
	}
	bin = filepath.Join(dir, "picasso-api-baseline")
	if err := goBuild(ctx, filepath.Join(src, strings.TrimSpace(string(prefix))), bin); err != nil {
		return "", "", fmt.Errorf("baseline %s (%s): %w", ref, commit, err)
	}
	return bin, commit, nil
}

// moduleRoot is the directory of the go.mod picasso-bench runs in.
func moduleRoot(ctx context.Context) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", fmt.Errorf("run picasso-bench inside the Picasso module, or give --picasso-bin and --baseline-bin (%v)", err)
	}
	return filepath.Dir(strings.TrimSpace(string(gomod))), nil
}

// goBuild builds picasso-api as the Dockerfile does, so that the figures
// (its memory above all: a binary linked to libc maps it too) are those of
// the binary that ships. -buildvcs=false: an exported tree has no
// repository to stamp.
func goBuild(ctx context.Context, moduleDir, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-buildvcs=false", "-o", bin, "./cmd/picasso-api")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/picasso-api: %v\n%s", err, out)
	}
	return nil
}

// picassoSpec is one Picasso of the run.
type picassoSpec struct {
	name string
	// keystone selects Keystone authentication (else noauth).
	keystone      bool
	tokenCacheTTL time.Duration
	maxInFlight   int
	// env is added to the process's environment.
	env []string
}

// hasFlag reports whether the picasso-api at bin documents the flag
// name in its help.
func hasFlag(bin, flag string) bool {
	out, _ := exec.Command(bin, "serve", "--help").CombinedOutput()
	return bytes.Contains(out, []byte("-"+flag+" "))
}

// startPicasso runs picasso-api against the benchmark backend; its ready
// time is from exec to the first 200 of /readyz.
func startPicasso(bin string, o *options, spec picassoSpec, backendURL string, id *identity, dir string) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dbURI := o.DBURI
	if dbURI == "" {
		dbURI = "sqlite://" + filepath.Join(dir, spec.name+".db")
	}
	args := []string{"serve",
		"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--db-uri", dbURI, "--auto-migrate",
		"--backend", "ironfunctions", "--functions-url", backendURL + "/v1",
		"--log-level", o.LogLevel, "--log-format", "json",
		"--max-inflight-calls", strconv.Itoa(spec.maxInFlight),
	}
	// The management case creates routes for as long as it runs; the
	// other limits keep their defaults, so calls pay the quota gate as in
	// production. A baseline older than the quotas has no such flag.
	if hasFlag(bin, "default-limits") {
		args = append(args, "--default-limits", "function_routes=-1")
	}
	env := spec.env
	if spec.keystone {
		args = append(args, "--auth", "keystone",
			"--keystone-endpoint", id.authURL,
			"--keystone-user", id.serviceUser,
			"--keystone-project", id.serviceProject,
			"--token-cache-ttl", spec.tokenCacheTTL.String())
		// The environment keeps the password out of the process list.
		env = append(env, "PICASSO_KEYSTONE_PASSWORD="+id.servicePassword)
	} else {
		args = append(args, "--auth", "noauth")
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	p, err := startServer(spec.name, bin, args, env, url+"/readyz")
	if err != nil {
		return nil, err
	}
	p.url = url
	return p, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// picassoAPI calls Picasso's management API.
type picassoAPI struct {
	base, token string
}

func (a picassoAPI) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("X-Auth-Token", a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// benchImage is the image of every benchmark route; the backend ignores it.
const benchImage = "picasso/bench:1"

// createApp creates the app and returns its backend name.
func (a picassoAPI) createApp(ctx context.Context, project, name string) (string, error) {
	var out struct {
		App struct {
			BackendName string `json:"backend_name"`
		} `json:"app"`
	}
	err := a.do(ctx, http.MethodPost, "/v1/"+project+"/apps", map[string]any{"app": map[string]any{"name": name}}, &out)
	if err == nil && out.App.BackendName == "" {
		err = fmt.Errorf("create app %s: no backend_name in the answer", name)
	}
	return out.App.BackendName, err
}

func (a picassoAPI) createRoute(ctx context.Context, project, app, path string, public bool) error {
	route := map[string]any{"route": map[string]any{"path": path, "image": benchImage, "is_public": public}}
	return a.do(ctx, http.MethodPost, "/v1/"+project+"/apps/"+app+"/routes", route, nil)
}
