package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// managementWorkers is the concurrency of the management case: API calls
// come from people and scripts, not from a flood.
const managementWorkers = 4

// callBody is the payload of every function call.
var callBody = []byte(`{"name":"bench"}`)

// bench runs every case and prints the report.
func bench(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	began := time.Now()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "picasso-bench: "+format+"\n", args...) }
	dir, err := os.MkdirTemp("", "picasso-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// What may fail for want of a package or a ref fails before the
	// builds that take a while.
	nginxBin, err := ensureNginx(ctx, logf)
	if err != nil {
		return err
	}
	r := &report{opts: o, db: databaseName(o.DBURI)}
	baselineBin := o.BaselineBin
	switch {
	case o.BaselineRef != "":
		logf("building ./cmd/picasso-api of %s (baseline)", o.BaselineRef)
		var commit string
		if baselineBin, commit, err = buildBaseline(ctx, o.BaselineRef, dir); err != nil {
			return err
		}
		r.baseline = fmt.Sprintf("picasso-api built from %s (%s)", o.BaselineRef, commit)
	case o.BaselineBin != "":
		r.baseline = "picasso-api " + o.BaselineBin
	}
	bin := o.PicassoBin
	if bin == "" {
		logf("building ./cmd/picasso-api")
		if bin, err = buildPicasso(ctx, dir); err != nil {
			return err
		}
	}
	env, err := startEnvironment(ctx, o, bin, baselineBin, nginxBin, dir)
	if err != nil {
		return err
	}
	defer env.stop()
	logf("backend %s (%s CPU per call), nginx %s, bare proxy %s and %s with a BufferPool, Keystone %s (%s), Picasso %s",
		env.backend.url, o.BackendCPU, env.nginx.url, env.bare.url, env.barePool.url, env.id.kind, env.id.authURL, env.main.url)

	r.keystone = env.id.kind
	if r.idleRSS, _, err = memory(env.main.pid()); err != nil {
		return err
	}
	r.ready = []readiness{{"keystone, token cache on", env.main.ready}, {"keystone, token cache off", env.noCache.ready}, {"noauth, overload limit", env.shed.ready}}
	if env.baseline != nil {
		r.ready = append(r.ready, readiness{"baseline, keystone, token cache on", env.baseline.ready})
	}

	cases := env.closedTargets()
	closed := make([]*target, len(cases))
	for i, c := range cases {
		closed[i] = c.target
	}
	open := env.openTargets()
	for _, t := range append(append(closed, open...), env.shedTarget()) {
		if err := probe(ctx, t); err != nil {
			return err
		}
	}
	closedStats := make([]*stats, len(closed))
	r.open = make([]*stats, len(open))
	for round := 1; round <= o.Rounds; round++ {
		logf("round %d/%d: closed loop, %d workers, %d targets", round, o.Rounds, o.Concurrency, len(closed))
		if err := measureRound(ctx, closed, closedStats, closedLoop(o.Concurrency), o); err != nil {
			return err
		}
	}
	for i, c := range cases {
		r.closed = append(r.closed, closedRow{id: c.id, name: c.name, stats: closedStats[i]})
	}
	for round := 1; round <= o.Rounds; round++ {
		logf("round %d/%d: open loop, %d requests/s", round, o.Rounds, o.OpenRate)
		if err := measureRound(ctx, open, r.open, openLoop(o.OpenRate), o); err != nil {
			return err
		}
	}

	logf("overload: %d requests/s offered, --max-inflight-calls %d, function time %s", o.OverloadRate, o.ShedLimit, o.SlowDelay)
	r.overload = &stats{}
	if err := r.overload.run(env.shedTarget(), openLoop(o.OverloadRate), o.Duration); err != nil {
		return err
	}
	if _, r.overloadPeakRSS, err = memory(env.shed.pid()); err != nil {
		return err
	}

	logf("management: create and list routes, %d workers", managementWorkers)
	create, list := env.managementTargets()
	r.management = []*stats{{}, {}}
	for i, t := range []*target{create, list} {
		if err := r.management[i].run(t, closedLoop(managementWorkers), o.Duration); err != nil {
			return err
		}
	}
	if r.loadRSS, r.peakRSS, err = memory(env.main.pid()); err != nil {
		return err
	}
	logf("local runtime: sandbox cost per call")
	if r.sandbox, err = measureSandbox(ctx, o, dir); err != nil {
		return err
	}
	r.elapsed = time.Since(began)

	doc := r.markdown()
	fmt.Fprint(stdout, doc)
	if o.UpdateDoc != "" {
		if err := updateDoc(o.UpdateDoc, doc); err != nil {
			return err
		}
		logf("wrote the results into %s", o.UpdateDoc)
	}
	return nil
}

// measureRound drives each target in turn (warm-up, then measurement), so
// that whatever the machine does meanwhile hits every target alike.
func measureRound(ctx context.Context, targets []*target, into []*stats, l load, o *options) error {
	for i, t := range targets {
		if err := ctx.Err(); err != nil {
			return err
		}
		warm(t, l, o.Warmup)
		if into[i] == nil {
			into[i] = &stats{}
		}
		if err := into[i].run(t, l, o.Duration); err != nil {
			return err
		}
	}
	return nil
}

// probe sends one request and fails the run unless it succeeds, so that
// a misconfiguration is not reported as a benchmark of error pages.
func probe(ctx context.Context, t *target) error {
	var tgt vegeta.Target
	if err := t.targeter(&tgt); err != nil {
		return err
	}
	req, err := tgt.Request()
	if err != nil {
		return err
	}
	resp, err := t.client.Do(req.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s answered %d: %s", t.name, tgt.URL, resp.StatusCode, body)
	}
	return nil
}

// environment is every process of a run and the apps they serve.
type environment struct {
	backend, nginx, bare, barePool, keystone *process
	main, noCache, shed, baseline, allProcs  *process
	id                                       *identity
	// Names of the apps: the project's names and the backend's.
	app, appBackend, noCacheApp, shedBackend string
	baselineApp, baselineBackend             string
	allProcsApp, allProcsBackend             string
}

func startEnvironment(ctx context.Context, o *options, bin, baselineBin, nginxBin, dir string) (env *environment, err error) {
	env = &environment{}
	defer func() {
		if err != nil {
			env.stop()
		}
	}()
	if env.backend, err = startHelper(roleBackend, "--slow-delay", o.SlowDelay.String(), "--cpu", o.BackendCPU.String()); err != nil {
		return nil, err
	}
	if env.nginx, err = startNginx(nginxBin, dir, env.backend.url); err != nil {
		return nil, err
	}
	if env.bare, err = startHelper(roleBareProxy, "--target", env.backend.url); err != nil {
		return nil, err
	}
	if env.barePool, err = startHelper(roleBareProxy, "--target", env.backend.url, "--buffer-pool"); err != nil {
		return nil, err
	}
	fakeURL := ""
	if o.Keystone == keystoneFake {
		if env.keystone, err = startHelper(roleKeystone); err != nil {
			return nil, err
		}
		fakeURL = env.keystone.url
	}
	if env.id, err = newIdentity(ctx, o.Keystone, fakeURL, o.keystoneEnv); err != nil {
		return nil, err
	}
	main := picassoSpec{name: "picasso", keystone: true, tokenCacheTTL: 5 * time.Minute, maxInFlight: 1024}
	specs := []struct {
		bin  string
		spec picassoSpec
		into **process
	}{
		{bin, main, &env.main},
		{bin, picassoSpec{name: "picasso-nocache", keystone: true, maxInFlight: 1024}, &env.noCache},
		{bin, picassoSpec{name: "picasso-shed", maxInFlight: o.ShedLimit}, &env.shed},
	}
	// The same Picasso with a Go scheduler that keeps every CPU, as every
	// Go proxy does, instead of following the load (--procs): what that
	// default costs per call (docs/benchmarks.md).
	allProcs := main
	allProcs.name, allProcs.env = "picasso-allprocs", []string{"PICASSO_PROCS=all"}
	specs = append(specs, struct {
		bin  string
		spec picassoSpec
		into **process
	}{bin, allProcs, &env.allProcs})
	if baselineBin != "" {
		baseline := main
		baseline.name = "picasso-baseline"
		specs = append(specs, struct {
			bin  string
			spec picassoSpec
			into **process
		}{baselineBin, baseline, &env.baseline})
	}
	for _, s := range specs {
		if *s.into, err = startPicasso(s.bin, o, s.spec, env.backend.url, env.id, dir); err != nil {
			return nil, err
		}
	}
	return env, env.createApps(ctx)
}

// createApps creates the benchmark's apps and routes through Picasso, as
// a user would. Names carry a random suffix so that a shared database
// (MariaDB) may hold earlier runs.
func (env *environment) createApps(ctx context.Context) error {
	suffix := randomHex(4)
	project := env.id.projectID
	var err error
	env.app = "bench-" + suffix
	if env.appBackend, err = createCallApp(ctx, env.main, env.id, project, env.app, trivialSuffix); err != nil {
		return err
	}
	env.allProcsApp = "bench-allprocs-" + suffix
	if env.allProcsBackend, err = createCallApp(ctx, env.allProcs, env.id, project, env.allProcsApp); err != nil {
		return err
	}
	if env.baseline != nil {
		env.baselineApp = "bench-baseline-" + suffix
		if env.baselineBackend, err = createCallApp(ctx, env.baseline, env.id, project, env.baselineApp); err != nil {
			return err
		}
	}
	noCache := picassoAPI{base: env.noCache.url, token: env.id.userToken}
	env.noCacheApp = "bench-nocache-" + suffix
	if _, err := noCache.createApp(ctx, project, env.noCacheApp); err != nil {
		return err
	}
	if err := noCache.createRoute(ctx, project, env.noCacheApp, "/private", false); err != nil {
		return err
	}
	shed := picassoAPI{base: env.shed.url}
	if env.shedBackend, err = shed.createApp(ctx, project, "bench-shed-"+suffix); err != nil {
		return err
	}
	return shed.createRoute(ctx, project, "bench-shed-"+suffix, slowSuffix, true)
}

// createCallApp creates an app with a public /hello, a private /private
// and public routes at the extra paths, and returns its backend name.
func createCallApp(ctx context.Context, p *process, id *identity, project, app string, publicPaths ...string) (string, error) {
	api := picassoAPI{base: p.url, token: id.userToken}
	backendName, err := api.createApp(ctx, project, app)
	if err != nil {
		return "", err
	}
	for _, path := range append([]string{"/hello"}, publicPaths...) {
		if err := api.createRoute(ctx, project, app, path, true); err != nil {
			return "", err
		}
	}
	return backendName, api.createRoute(ctx, project, app, "/private", false)
}

// closedCase is one closed-loop target and its row in the report.
type closedCase struct {
	id, name string
	target   *target
}

// closedTargets are, in the order they are interleaved: direct, the
// reference proxies (nginx, bare proxy, bare proxy with a BufferPool),
// Picasso's public, cached private and uncached private calls, the same
// Picasso's calls on one scheduler P, and the baseline's public and cached private calls when there is a baseline.
func (env *environment) closedTargets() []closedCase {
	token := http.Header{"X-Auth-Token": {env.id.userToken}}
	function := "/r/" + env.appBackend + "/hello"
	call := func(id, name string, proxy *process, url string, header http.Header) closedCase {
		t := postTarget(name, proxy, url, header)
		t.backend = env.backend
		return closedCase{id: id, name: name, target: t}
	}
	cases := []closedCase{
		call(rowDirect, "direct (backend)", nil, env.backend.url+function, nil),
		call(rowNginx, "nginx (1 worker)", env.nginx, env.nginx.url+function, nil),
		call(rowBare, "bare proxy", env.bare, env.bare.url+function, nil),
		call(rowBarePool, "bare proxy + BufferPool", env.barePool, env.barePool.url+function, nil),
		call(rowPublic, "1. Picasso public", env.main, env.main.url+function, nil),
		call(rowPrivate, "2. Picasso private, cached token", env.main, env.main.url+"/r/"+env.id.projectID+"/"+env.app+"/private", token),
		call(rowUncached, "3. Picasso private, no token cache", env.noCache, env.noCache.url+"/r/"+env.id.projectID+"/"+env.noCacheApp+"/private", token),
		call(rowAllProcsPublic, "4. Picasso public, --procs all", env.allProcs, env.allProcs.url+"/r/"+env.allProcsBackend+"/hello", nil),
		call(rowAllProcsPrivate, "5. Picasso private, cached token, --procs all", env.allProcs, env.allProcs.url+"/r/"+env.id.projectID+"/"+env.allProcsApp+"/private", token),
	}
	if env.baseline != nil {
		cases = append(cases,
			call(rowBaselinePublic, "baseline public", env.baseline, env.baseline.url+"/r/"+env.baselineBackend+"/hello", nil),
			call(rowBaselinePrivate, "baseline private, cached token", env.baseline, env.baseline.url+"/r/"+env.id.projectID+"/"+env.baselineApp+"/private", token))
	}
	return cases
}

// openTargets are direct and Picasso public on the trivial function.
func (env *environment) openTargets() []*target {
	function := "/r/" + env.appBackend + trivialSuffix
	return []*target{
		postTarget("direct, trivial", nil, env.backend.url+function, nil),
		postTarget("picasso public, trivial", env.main, env.main.url+function, nil),
	}
}

func postTarget(name string, proxy *process, url string, header http.Header) *target {
	return newTarget(name, proxy, vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodPost, URL: url, Body: callBody, Header: header}))
}

func (env *environment) shedTarget() *target {
	return postTarget("picasso overloaded", env.shed, env.shed.url+"/r/"+env.shedBackend+slowSuffix, nil)
}

// managementTargets create routes with fresh paths, and list the app's
// routes (one page of up to 100).
func (env *environment) managementTargets() (create, list *target) {
	header := http.Header{"X-Auth-Token": {env.id.userToken}, "Content-Type": {"application/json"}}
	routes := env.main.url + "/v1/" + env.id.projectID + "/apps/" + env.app + "/routes"
	var n atomic.Int64
	create = newTarget("create route", env.main, func(t *vegeta.Target) error {
		path := "/m" + strconv.FormatInt(n.Add(1), 10)
		*t = vegeta.Target{Method: http.MethodPost, URL: routes, Header: header,
			Body: []byte(`{"route":{"path":"` + path + `","image":"` + benchImage + `"}}`)}
		return nil
	})
	list = newTarget("list routes", env.main, vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: routes, Header: header}))
	return create, list
}

func (env *environment) stop() {
	for _, p := range []*process{env.baseline, env.shed, env.noCache, env.main, env.keystone, env.barePool, env.bare, env.nginx, env.backend} {
		if p != nil {
			p.stop()
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
