package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/picasso-faas/picasso/store"
)

// report is everything a run measured.
type report struct {
	opts     *options
	keystone string
	db       string
	// closed holds direct, bare proxy, then Picasso's cases (closedTargets);
	// open holds direct and Picasso public.
	closed, open, management  []*stats
	overload                  *stats
	overloadPeakRSS           int64
	idleRSS, loadRSS, peakRSS int64
	ready                     []readiness
	sandbox                   *sandboxReport
	elapsed                   time.Duration
}

type readiness struct {
	picasso string
	ready   time.Duration
}

var closedNames = []string{"direct (backend)", "bare proxy", "1. Picasso public", "2. Picasso private, cached token", "3. Picasso private, no token cache"}

// markdown renders the report; the same text goes to stdout and, with
// --update-doc, into docs/benchmarks.md.
func (r *report) markdown() string {
	var b strings.Builder
	o := r.opts
	fmt.Fprintf(&b, "Machine: %s. Database: %s. Keystone: %s. Picasso log level: %s. Run took %s.\n\n",
		machine(), r.db, r.keystone, o.LogLevel, r.elapsed.Round(time.Second))
	fmt.Fprintf(&b, "Closed loop: %d workers, %d rounds × %s after %s warm-up, interleaved; POST with a %d-byte body, %d-byte answer.\n\n",
		o.Concurrency, o.Rounds, o.Duration, o.Warmup, len(callBody), len(functionBody))
	b.WriteString("| Case | req/s | p50 | p90 | p99 | max | proxy CPU s/1k req | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, s := range r.closed {
		cpu := "–"
		if i > 0 {
			cpu = fmt.Sprintf("%.3f", s.cpuPer1k())
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %s | %s |\n", closedNames[i], s.throughput(),
			ms(s.percentile(.5)), ms(s.percentile(.9)), ms(s.percentile(.99)), ms(s.percentile(1)), cpu, s.errorText())
	}
	direct, bare := r.closed[0], r.closed[1]
	b.WriteString("\n| Case | throughput ÷ direct | throughput ÷ bare proxy (target ≥ 1.30) | CPU/req ÷ bare proxy (target ≤ 0.75) | p50 ÷ bare proxy |\n|---|---:|---:|---:|---:|\n")
	for i, s := range r.closed[2:] {
		fmt.Fprintf(&b, "| %s | %.2f | %s | %s | %.2f |\n", closedNames[i+2],
			ratio(s.throughput(), direct.throughput()),
			verdict(ratio(s.throughput(), bare.throughput()), 1.30, true),
			verdict(ratio(s.cpuPer1k(), bare.cpuPer1k()), 0.75, false),
			ratio(float64(s.percentile(.5)), float64(bare.percentile(.5))))
	}

	fmt.Fprintf(&b, "\n4. Open loop at %d requests/s, %d rounds × %s, interleaved:\n\n", o.OpenRate, o.Rounds, o.Duration)
	b.WriteString("| Target | achieved req/s | p50 | p90 | p99 | max | errors |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for i, s := range r.open {
		name := []string{"direct (backend)", "Picasso public"}[i]
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %s |\n", name, s.throughput(),
			ms(s.percentile(.5)), ms(s.percentile(.9)), ms(s.percentile(.99)), ms(s.percentile(1)), s.errorText())
	}
	addP50 := r.open[1].percentile(.5) - r.open[0].percentile(.5)
	addP99 := r.open[1].percentile(.99) - r.open[0].percentile(.99)
	fmt.Fprintf(&b, "\nLatency Picasso adds over direct: p50 %s (target ≤ 0.30 ms: %s), p99 %s (target ≤ 1.00 ms: %s).\n",
		ms(addP50), pass(addP50 <= 300*time.Microsecond), ms(addP99), pass(addP99 <= time.Millisecond))

	s := r.overload
	fmt.Fprintf(&b, "\nOverload: %d requests/s offered for %s to a Picasso with --max-inflight-calls %d, function time %s (capacity ≈ %.0f calls/s):\n\n",
		o.OverloadRate, o.Duration, o.ShedLimit, o.SlowDelay, float64(o.ShedLimit)/o.SlowDelay.Seconds())
	b.WriteString("| sent | accepted req/s | shed (503 + Retry-After) | other errors | accepted p50 | accepted p99 (target < 100 ms) | accepted max | peak RSS |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %.0f | %.1f %% | %s | %s | %s | %s | %s |\n", s.requests, s.throughput(),
		100*float64(s.shed)/float64(max(s.requests, 1)), s.errorText(), ms(s.percentile(.5)),
		verdictDuration(s.percentile(.99), 100*time.Millisecond), ms(s.percentile(1)), mib(r.overloadPeakRSS))

	fmt.Fprintf(&b, "\n5. Management API (%s, %d workers, %s each, Keystone token cached):\n\n", r.db, managementWorkers, o.Duration)
	b.WriteString("| Call | req/s | p50 | p90 | p99 | max | Picasso CPU s/1k req | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, s := range r.management {
		name := []string{"create route", "list routes (first page of 100)"}[i]
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %.3f | %s |\n", name, s.throughput(),
			ms(s.percentile(.5)), ms(s.percentile(.9)), ms(s.percentile(.99)), ms(s.percentile(1)), s.cpuPer1k(), s.errorText())
	}

	b.WriteString("\nPicasso's memory and start-up (ready = exec until the first 200 of /readyz; the database is migrated at start):\n\n")
	fmt.Fprintf(&b, "| RSS idle (target ≤ 30 MB) | RSS after the run | peak RSS |\n|---:|---:|---:|\n| %s | %s | %s |\n\n",
		verdictBytes(r.idleRSS, 30<<20), mib(r.loadRSS), mib(r.peakRSS))
	b.WriteString("| Picasso | ready after start (target ≤ 200 ms on SQLite) |\n|---|---:|\n")
	for _, rd := range r.ready {
		fmt.Fprintf(&b, "| %s | %s |\n", rd.picasso, verdictDuration(rd.ready, 200*time.Millisecond))
	}
	if r.sandbox != nil {
		b.WriteString(r.sandbox.markdown(o))
	}
	return b.String()
}

func (s *stats) errorText() string {
	if s.failed == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", s.failed, strings.ReplaceAll(truncate(s.firstError, 80), "|", "/"))
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// verdict shows a ratio and whether it meets its target.
func verdict(v, target float64, atLeast bool) string {
	return fmt.Sprintf("%.2f %s", v, pass(atLeast && v >= target || !atLeast && v <= target))
}

func verdictDuration(d, limit time.Duration) string { return ms(d) + " " + pass(d <= limit) }

func verdictBytes(n, limit int64) string { return mib(n) + " " + pass(n <= limit) }

func pass(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func databaseName(uri string) string {
	if uri == "" {
		return "SQLite (one file per Picasso)"
	}
	driver, _, err := store.ParseURI(uri)
	if err != nil {
		return "unknown"
	}
	return driver
}

// machine describes the host: CPU model, cores, memory, kernel and Go.
func machine() string {
	cpu := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				cpu = strings.TrimSpace(value)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	memTotal := ""
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(raw), "MemTotal: %d kB", &kb); err == nil {
			memTotal = fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%s, %d cores%s, Linux %s, %s", cpu, runtime.NumCPU(), memTotal, strings.TrimSpace(string(kernel)), runtime.Version())
}

// Markers of the generated part of docs/benchmarks.md.
const (
	docBegin = "<!-- picasso-bench:begin -->"
	docEnd   = "<!-- picasso-bench:end -->"
)

// updateDoc replaces what lies between the markers of path with text.
func updateDoc(path, text string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := replaceBetween(raw, text)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, doc, 0o644)
}

func replaceBetween(doc []byte, text string) ([]byte, error) {
	begin := bytes.Index(doc, []byte(docBegin))
	end := bytes.Index(doc, []byte(docEnd))
	if begin < 0 || end < begin {
		return nil, errors.New("no " + docBegin + " … " + docEnd + " markers")
	}
	var out bytes.Buffer
	out.Write(doc[:begin+len(docBegin)])
	out.WriteString("\n" + text)
	out.Write(doc[end:])
	return out.Bytes(), nil
}
