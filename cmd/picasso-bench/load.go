package main

import (
	"net"
	"net/http"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// target is one URL under load and the process whose CPU time counts
// against it (nil when the load goes straight to the backend).
type target struct {
	name  string
	proxy *process
	// backend, when set, is the backend process, whose CPU time per call
	// is reported beside the proxy's.
	backend  *process
	targeter vegeta.Targeter
	// client is shared by the target's runs, so warm-up connections are
	// the ones measured.
	client *http.Client
}

func newTarget(name string, proxy *process, targeter vegeta.Targeter) *target {
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &target{name: name, proxy: proxy, targeter: targeter, client: &http.Client{Transport: transport, Timeout: 30 * time.Second}}
}

// load is how a run drives its target: closed loop (workers send as fast
// as answers come back) or open loop (a fixed rate, whatever the answers).
type load struct {
	rate    vegeta.Rate
	workers uint64
}

func closedLoop(workers int) load { return load{workers: uint64(workers)} }

func openLoop(perSecond int) load { return load{rate: vegeta.Rate{Freq: perSecond, Per: time.Second}} }

// stats accumulates the runs of one target.
type stats struct {
	requests, ok, shed, failed int
	firstError                 string
	elapsed                    time.Duration
	cpu, backendCPU            time.Duration
	// rounds holds each run on its own, for ratios paired by round.
	rounds []sample
	// latencies of the successful (2xx) responses only: under overload,
	// what matters is how fast accepted calls are served.
	latencies []time.Duration
	sorted    bool
}

// sample is what one run of a target measured.
type sample struct {
	ok           int
	elapsed, cpu time.Duration
}

// throughput is successful responses per second.
func (s sample) throughput() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok) / s.elapsed.Seconds()
}

// cpuPerCall is the proxy's CPU time per successful response.
func (s sample) cpuPerCall() time.Duration {
	if s.ok == 0 {
		return 0
	}
	return s.cpu / time.Duration(s.ok)
}

// run drives t for d and adds what it measured to s.
func (s *stats) run(t *target, l load, d time.Duration) error {
	opts := []func(*vegeta.Attacker){vegeta.Client(t.client)}
	if l.workers > 0 {
		opts = append(opts, vegeta.Workers(l.workers), vegeta.MaxWorkers(l.workers))
	}
	attacker := vegeta.NewAttacker(opts...)
	cpuBefore, err := t.cpu()
	if err != nil {
		return err
	}
	backendBefore, err := processCPU(t.backend)
	if err != nil {
		return err
	}
	okBefore := s.ok
	start := time.Now()
	for res := range attacker.Attack(t.targeter, l.rate, d, t.name) {
		s.add(res)
	}
	elapsed := time.Since(start)
	cpuAfter, err := t.cpu()
	if err != nil {
		return err
	}
	backendAfter, err := processCPU(t.backend)
	if err != nil {
		return err
	}
	round := sample{ok: s.ok - okBefore, elapsed: elapsed, cpu: cpuAfter - cpuBefore}
	s.rounds = append(s.rounds, round)
	s.elapsed += round.elapsed
	s.cpu += round.cpu
	s.backendCPU += backendAfter - backendBefore
	s.sorted = false
	return nil
}

// warm drives t for d without recording anything.
func warm(t *target, l load, d time.Duration) {
	if d <= 0 {
		return
	}
	var discard stats
	discard.run(t, l, d)
}

func (t *target) cpu() (time.Duration, error) { return processCPU(t.proxy) }

// processCPU is the CPU time of p and its descendants (nginx's workers),
// 0 for no process.
func processCPU(p *process) (time.Duration, error) {
	if p == nil {
		return 0, nil
	}
	return treeCPUTime(p.pid())
}

func (s *stats) add(r *vegeta.Result) {
	s.requests++
	switch {
	case r.Code >= 200 && r.Code < 300:
		s.ok++
		s.latencies = append(s.latencies, r.Latency)
		return
	case r.Code == http.StatusServiceUnavailable && r.Headers.Get("Retry-After") != "":
		s.shed++
		return
	}
	s.failed++
	if s.firstError == "" {
		s.firstError = r.Error
		if r.Code != 0 {
			s.firstError += ": " + string(r.Body)
		}
	}
}

// throughput is successful responses per second.
func (s *stats) throughput() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok) / s.elapsed.Seconds()
}

// cpuPer1k is the proxy's CPU seconds per 1,000 successful responses.
func (s *stats) cpuPer1k() float64 {
	if s.ok == 0 {
		return 0
	}
	return s.cpu.Seconds() * 1000 / float64(s.ok)
}

// cpuPerCall is the proxy's CPU time per successful response, over all
// runs.
func (s *stats) cpuPerCall() time.Duration {
	return sample{ok: s.ok, cpu: s.cpu}.cpuPerCall()
}

// backendCPUPerCall is the backend's CPU time per successful response.
func (s *stats) backendCPUPerCall() time.Duration {
	return sample{ok: s.ok, cpu: s.backendCPU}.cpuPerCall()
}

// percentile returns the latency under which a share q of the successful
// responses were served (nearest rank).
func (s *stats) percentile(q float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	if !s.sorted {
		slices.Sort(s.latencies)
		s.sorted = true
	}
	i := int(q*float64(len(s.latencies))+0.5) - 1
	return s.latencies[min(max(i, 0), len(s.latencies)-1)]
}
