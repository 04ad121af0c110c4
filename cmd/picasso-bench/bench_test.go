package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
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
	// Burn CPU until at least one clock tick is accounted: on a loaded
	// machine 30 ms of wall time may hold no tick of this process's.
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
