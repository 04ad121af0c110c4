package main

import (
	"bufio"
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

func TestFakeKeystoneIssuesAndValidatesItsTokens(t *testing.T) {
	srv := httptest.NewServer(keystonetest.NewFake())
	defer srv.Close()
	ctx := context.Background()
	token, project, err := issueToken(ctx, srv.URL+"/v3", credentials{user: "u", password: "p", project: "bench", domain: "Default"})
	if err != nil {
		t.Fatal(err)
	}
	if token == "" || project != keystonetest.FakeProjectID {
		t.Fatalf("token %q, project %q", token, project)
	}
	validate := func(service, subject string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v3/auth/tokens?nocatalog", nil)
		req.Header.Set("X-Auth-Token", service)
		req.Header.Set("X-Subject-Token", subject)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		service, subject string
		want             int
	}{{token, token, 200}, {token, "forged", 404}, {"forged", token, 401}} {
		if got := validate(c.service, c.subject); got != c.want {
			t.Errorf("validate(service %.6s, subject %.6s) = %d, want %d", c.service, c.subject, got, c.want)
		}
	}
}

func TestStatsCountSheddingApartAndRankLatencies(t *testing.T) {
	var s stats
	for i := 1; i <= 100; i++ {
		s.add(&vegeta.Result{Code: 200, Latency: time.Duration(i) * time.Millisecond})
	}
	s.add(&vegeta.Result{Code: 503, Headers: http.Header{"Retry-After": {"1"}}})
	s.add(&vegeta.Result{Code: 502, Error: "502 Bad Gateway", Body: []byte("boom")})
	s.elapsed, s.cpu = 2*time.Second, 500*time.Millisecond
	if s.requests != 102 || s.ok != 100 || s.shed != 1 || s.failed != 1 {
		t.Fatalf("counts %+v", s)
	}
	if got := s.percentile(.5); got != 50*time.Millisecond {
		t.Errorf("p50 = %s", got)
	}
	if got := s.percentile(.99); got != 99*time.Millisecond {
		t.Errorf("p99 = %s", got)
	}
	if got := s.percentile(1); got != 100*time.Millisecond {
		t.Errorf("max = %s", got)
	}
	if got := s.throughput(); got != 50 {
		t.Errorf("throughput = %v", got)
	}
	if got := s.cpuPer1k(); got != 5 {
		t.Errorf("CPU per 1k = %v", got)
	}
	if got := s.errorText(); !strings.Contains(got, "502 Bad Gateway: boom") {
		t.Errorf("error text %q", got)
	}
}

func TestReplaceBetweenKeepsTheRestOfTheDocument(t *testing.T) {
	doc := "# Title\n" + docBegin + "\nold table\n" + docEnd + "\nanalysis\n"
	got, err := replaceBetween([]byte(doc), "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n" + docBegin + "\nnew table\n" + docEnd + "\nanalysis\n"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := replaceBetween([]byte("no markers"), "x"); err == nil {
		t.Error("a document without markers was accepted")
	}
}

func TestProcfsReadsThisProcess(t *testing.T) {
	// Burn CPU until the clock shows some: the test asserts that the
	// process's CPU time is read, not how fast it grows.
	cpu, err := cpuTime(os.Getpid())
	for deadline := time.Now().Add(10 * time.Second); err == nil && cpu <= 0 && time.Now().Before(deadline); {
		for start := time.Now(); time.Since(start) < 30*time.Millisecond; {
		}
		cpu, err = cpuTime(os.Getpid())
	}
	if err != nil || cpu <= 0 {
		t.Fatalf("cpuTime = %s, %v", cpu, err)
	}
	rss, peak, err := memory(os.Getpid())
	if err != nil || rss <= 0 || peak < rss {
		t.Fatalf("memory = %d, %d, %v", rss, peak, err)
	}
}

func TestOptionsRejectNonsense(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{{"--rounds", "0"}, {"--duration", "0s"}, {"--keystone", "maybe"}, {"extra"}} {
		if _, err := parseOptions(args, env, &strings.Builder{}); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	o, err := parseOptions(nil, func(k string) string { return map[string]string{"OS_AUTH_URL": "http://k/v3"}[k] }, &strings.Builder{})
	if err != nil || o.Keystone != keystoneReal {
		t.Errorf("with OS_AUTH_URL: %+v, %v", o, err)
	}
	if o, _ := parseOptions(nil, env, &strings.Builder{}); o.Keystone != keystoneFake {
		t.Errorf("without OS_AUTH_URL: keystone %q", o.Keystone)
	}
}

func TestOptionsDefaultToTheIssuesLoadAndTakeTheBaseline(t *testing.T) {
	env := func(string) string { return "" }
	o, err := parseOptions(nil, env, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Concurrency != 64 || o.BackendCPU != 315*time.Microsecond || o.BaselineBin != "" || o.BaselineRef != "" {
		t.Errorf("defaults: concurrency %d, backend CPU %s, baseline %q %q", o.Concurrency, o.BackendCPU, o.BaselineBin, o.BaselineRef)
	}
	o, err = parseOptions([]string{"--backend-cpu", "0", "--baseline-ref", "main"}, env, &strings.Builder{})
	if err != nil || o.BackendCPU != 0 || o.BaselineRef != "main" {
		t.Errorf("--backend-cpu 0 --baseline-ref main: %+v, %v", o, err)
	}
	for _, args := range [][]string{{"--backend-cpu", "-1ms"}, {"--baseline-ref", "main", "--baseline-bin", "/bin/old"}} {
		if _, err := parseOptions(args, env, &strings.Builder{}); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// roundsOf makes stats of calls/s and proxy CPU per call, one round each.
func roundsOf(perRound ...[2]float64) *stats {
	s := &stats{}
	for _, r := range perRound {
		calls := int(r[0])
		one := sample{ok: calls, elapsed: time.Second, cpu: time.Duration(r[1] * float64(calls) * float64(time.Microsecond))}
		s.rounds = append(s.rounds, one)
		s.ok += one.ok
		s.elapsed += one.elapsed
		s.cpu += one.cpu
	}
	return s
}

func TestPairedRatioIsTheGeometricMeanOfTheRounds(t *testing.T) {
	a := roundsOf([2]float64{900, 100}, [2]float64{1600, 50})
	b := roundsOf([2]float64{1000, 200}, [2]float64{1000, 200})
	// Throughput: 0.9 and 1.6, geometric mean 1.2.
	if got := pairedRatio(a, b, sample.throughput); math.Abs(got-1.2) > 1e-9 {
		t.Errorf("throughput ratio %v, want 1.2", got)
	}
	// CPU: 0.5 and 0.25, geometric mean √0.125.
	if got := pairedRatio(a, b, cpuMeasure); math.Abs(got-math.Sqrt(0.125)) > 1e-9 {
		t.Errorf("CPU ratio %v, want %v", got, math.Sqrt(0.125))
	}
	for name, c := range map[string][2]*stats{
		"unequal rounds": {a, roundsOf([2]float64{1000, 200})},
		"no CPU":         {a, roundsOf([2]float64{1000, 0}, [2]float64{1000, 0})},
		"no stats":       {a, nil},
	} {
		if got := pairedRatio(c[0], c[1], cpuMeasure); !math.IsNaN(got) {
			t.Errorf("%s: %v, want NaN", name, got)
		}
	}
}

func TestVerdictRatioShowsTheTargetOnlyWhereThereIsOne(t *testing.T) {
	for _, c := range []struct {
		v, target float64
		atLeast   bool
		want      string
	}{
		{0.95, 0.90, true, "0.95 ✓"},
		{0.85, 0.90, true, "0.85 ✗"},
		{0.60, 0.60, false, "0.60 ✓"},
		{0.61, 0.60, false, "0.61 ✗"},
		{1.37, 0, false, "1.37"},
		{math.NaN(), 0.60, false, "–"},
	} {
		if got := verdictRatio(c.v, c.target, c.atLeast); got != c.want {
			t.Errorf("verdictRatio(%v, %v, %v) = %q, want %q", c.v, c.target, c.atLeast, got, c.want)
		}
	}
}

func TestClosedLoopTablesHoldTheIssuesTargetsAndBeforeAfter(t *testing.T) {
	// Two rounds each: req/s and proxy µs of CPU per call.
	r := &report{opts: &options{Concurrency: 64, Rounds: 2, Duration: time.Second, BackendCPU: 315 * time.Microsecond}, baseline: "picasso-api built from main (abc1234)"}
	for _, c := range []struct {
		id    string
		calls [2]float64
	}{
		{rowDirect, [2]float64{2000, 0}},
		{rowNginx, [2]float64{1960, 70}},
		{rowBare, [2]float64{1500, 250}},
		{rowBarePool, [2]float64{1600, 200}},
		{rowPublic, [2]float64{1900, 140}},  // 0.95 ÷ direct, 0.97 ÷ nginx, 0.56 ÷ bare, 2.0 ÷ nginx
		{rowPrivate, [2]float64{1700, 180}}, // 0.85, 0.87, 0.72, 2.57
		{rowUncached, [2]float64{1000, 400}},
		{rowBaselinePublic, [2]float64{1600, 280}},
		{rowBaselinePrivate, [2]float64{1400, 310}},
	} {
		r.closed = append(r.closed, closedRow{id: c.id, name: "row " + c.id, stats: roundsOf(c.calls, c.calls)})
	}
	var b strings.Builder
	r.closedMarkdown(&b)
	doc := b.String()
	for _, want := range []string{
		"burns 315 µs of CPU per call",
		"| row direct | 2000 |",
		"| row nginx | 1960 | 0.00 ms | 0.00 ms | 0.00 ms | 0.00 ms | 70 µs |",
		"| row nginx | 0.98 | 1.00 | 0.28 | 0.35 | 1.00 |",
		"| row public | 0.95 ✓ | 0.97 | 0.56 ✓ | 0.70 | 2.00 ✓ |",
		"| row private | 0.85 ✗ | 0.87 | 0.72 ✗ | 0.90 | 2.57 ✗ |",
		// No CPU target for the uncached case.
		"| row uncached | 0.50 ✗ | 0.51 | 1.60 | 2.00 | 5.71 |",
		"| row baseline-public | 0.80 ✗ | 0.82 | 1.12 ✗ | 1.40 | 4.00 ✗ |",
		"Before → after (baseline: picasso-api built from main (abc1234))",
		"| Picasso public | 1600 → 1900 | 1.19 | 280 µs → 140 µs | 0.50 |",
		"| Picasso private, cached token | 1400 → 1700 | 1.21 | 310 µs → 180 µs | 0.58 |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("no %q in\n%s", want, doc)
		}
	}
	if strings.Contains(doc, "| row direct | –") || strings.Contains(doc, "≥ 1.30") || strings.Contains(doc, "≤ 0.75") {
		t.Errorf("a ratio row for direct, or the old targets, in\n%s", doc)
	}

	r.baseline = ""
	r.opts.BackendCPU = 0
	b.Reset()
	r.closedMarkdown(&b)
	if doc := b.String(); strings.Contains(doc, "Before → after") || !strings.Contains(doc, "answers at once (--backend-cpu 0)") {
		t.Errorf("without a baseline and a backend cost:\n%s", doc)
	}
}

func TestNginxConfigProxiesWithKeepAliveAndStaysInItsDirectory(t *testing.T) {
	conf := nginxConfig("/tmp/run/nginx", 8089, "127.0.0.1:9000")
	for _, want := range []string{
		"worker_processes 1;",
		"error_log /tmp/run/nginx/error.log",
		"access_log off;",
		"listen 127.0.0.1:8089;",
		"server 127.0.0.1:9000;",
		"keepalive 64;",
		"proxy_pass http://backend;",
		"proxy_http_version 1.1;",
		`proxy_set_header Connection "";`,
		"proxy_buffering off;",
		"proxy_request_buffering off;",
		"location = " + nginxReadyPath + " {",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("no %q in\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "daemon") {
		t.Error("daemon off is the command line's, so that nginx -t checks this file alone")
	}
	for _, f := range strings.Fields(conf) {
		// File arguments; location paths end with a brace instead.
		if strings.HasPrefix(f, "/") && strings.HasSuffix(f, ";") && !strings.HasPrefix(f, "/tmp/run/nginx/") {
			t.Errorf("path %s outside the run's directory", f)
		}
	}
}

func TestParentPIDReadsPastOddNames(t *testing.T) {
	// The kernel's format; the name holds ") (" and spaces.
	raw := []byte("4242 (a) (b c) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1 0 5 0 0\n")
	if ppid, err := parentPID(raw); err != nil || ppid != 17 {
		t.Errorf("parentPID = %d, %v; want 17", ppid, err)
	}
	if _, err := parentPID([]byte("4242 (a) S")); err == nil {
		t.Error("a short stat was accepted")
	}
}

func TestTreeCPUTimeCountsChildren(t *testing.T) {
	// A child that has used CPU (a shell counting) and then waits.
	child := exec.Command("sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo counted; exec sleep 60")
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		child.Process.Kill()
		child.Wait()
	}()
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "counted\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	childTime, err := cpuTime(child.Process.Pid)
	if err != nil || childTime <= 0 {
		t.Fatalf("child's cpuTime = %s, %v", childTime, err)
	}
	self, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := treeCPUTime(os.Getpid())
	if err != nil || tree < self+childTime {
		t.Fatalf("treeCPUTime = %s, %v; the process alone has %s, its child %s", tree, err, self, childTime)
	}
	// Above Linux's PID_MAX_LIMIT (1 << 22): no such process.
	if _, err := treeCPUTime(1 << 23); err == nil {
		t.Error("a missing process has a CPU time")
	}
}

func TestBurnCPUSpendsCPUNotWallTime(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const d = 5 * time.Millisecond
	before := threadCPU()
	burnCPU(d)
	if used := threadCPU() - before; used < d {
		t.Errorf("burnCPU(%s) used %s of this thread's CPU", d, used)
	}
	// No cost, no work: the digest stays the zero value.
	if h := burnCPU(0); h != [32]byte{} {
		t.Errorf("burnCPU(0) computed %x", h)
	}
}

func TestBufferPoolHandsOutFullBuffers(t *testing.T) {
	p := newBufferPool(32 << 10)
	b := p.Get()
	if len(b) != 32<<10 {
		t.Fatalf("len %d", len(b))
	}
	p.Put(b)
	if b := p.Get(); len(b) != 32<<10 {
		t.Errorf("after Put: len %d", len(b))
	}
}

func TestStatsKeepEachRunAsARound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(functionBody) }))
	defer srv.Close()
	var s stats
	tgt := postTarget("t", nil, srv.URL, nil)
	for range 2 {
		if err := s.run(tgt, closedLoop(2), 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.rounds) != 2 || s.rounds[0].ok+s.rounds[1].ok != s.ok || s.rounds[0].elapsed+s.rounds[1].elapsed != s.elapsed {
		t.Errorf("rounds %+v, total ok %d elapsed %s", s.rounds, s.ok, s.elapsed)
	}
}

func TestBaselineRefMustNameACommit(t *testing.T) {
	_, _, err := buildBaseline(context.Background(), "no-such-ref-of-picasso-bench", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no-such-ref-of-picasso-bench") {
		t.Errorf("err = %v", err)
	}
}
