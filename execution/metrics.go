package execution

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
)

// Metrics counts what this replica's worker did, and reports the state of
// the whole queue (from the database) at every scrape.
type Metrics struct {
	calls     picasso.CallStore
	attempts  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	callbacks *prometheus.CounterVec
	deferrals *prometheus.CounterVec
	queued    *prometheus.Desc
	running   *prometheus.Desc
	dead      *prometheus.Desc
	oldest    *prometheus.Desc
	pending   *prometheus.Desc
}

// NewMetrics registers the execution metrics with reg.
func NewMetrics(reg prometheus.Registerer, calls picasso.CallStore) *Metrics {
	m := &Metrics{
		calls: calls,
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picasso_call_attempts_total",
			Help: "Attempts of queued calls this replica ran, by outcome (succeeded, failed = to be retried, dead).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "picasso_call_execution_seconds",
			Help:    "Time queued calls ran on the backend, by trigger (http, webhook, event, schedule, retry).",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 9),
		}, []string{"trigger"}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picasso_callbacks_total",
			Help: "Callbacks this replica sent, by outcome (delivered, failed).",
		}, []string{"outcome"}),
		deferrals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picasso_call_deferrals_total",
			Help: "Queued calls this replica's worker handed back to the queue because their project was at a limit, by resource (function_concurrency, function_rate).",
		}, []string{"resource"}),
		queued:  prometheus.NewDesc("picasso_calls_queued", "Calls waiting for a worker (queued, or failed with another attempt to come).", nil, nil),
		running: prometheus.NewDesc("picasso_calls_running", "Calls a worker holds.", nil, nil),
		dead:    prometheus.NewDesc("picasso_calls_dead", "Calls in the dead-letter list.", nil, nil),
		oldest:  prometheus.NewDesc("picasso_calls_oldest_queued_age_seconds", "Age of the oldest waiting call; 0 when none waits.", nil, nil),
		pending: prometheus.NewDesc("picasso_callbacks_pending", "Callbacks of final calls not delivered yet (waiting, being sent, or waiting for a retry).", nil, nil),
	}
	reg.MustRegister(m.attempts, m.duration, m.callbacks, m.deferrals, m)
	return m
}

// Finished counts an attempt that ended on this replica.
func (m *Metrics) Finished(_ context.Context, call *picasso.CallRecord) {
	m.attempts.WithLabelValues(string(call.Status)).Inc()
	if d := call.Duration(); d > 0 {
		m.duration.WithLabelValues(string(call.Trigger)).Observe(d.Seconds())
	}
}

// Deferred counts a call the worker handed back because its project was
// at its limit of resource; it is WorkerConfig.Deferred. No project label:
// the series stay bounded by the list of resources.
func (m *Metrics) Deferred(resource picasso.Resource) {
	m.deferrals.WithLabelValues(string(resource)).Inc()
}

// CallbackSent counts a callback; Callbacks reports to it.
func (m *Metrics) CallbackSent(outcome string) { m.callbacks.WithLabelValues(outcome).Inc() }

func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.queued
	ch <- m.running
	ch <- m.dead
	ch <- m.oldest
	ch <- m.pending
}

// Collect reads the queue's state; when the database does not answer in
// time the gauges are left out of the scrape rather than made up.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, err := m.calls.CallStats(ctx)
	if err != nil {
		return
	}
	age := 0.0
	if !stats.OldestQueued.IsZero() {
		age = max(time.Since(stats.OldestQueued).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(m.queued, prometheus.GaugeValue, float64(stats.Queued))
	ch <- prometheus.MustNewConstMetric(m.running, prometheus.GaugeValue, float64(stats.Running))
	ch <- prometheus.MustNewConstMetric(m.dead, prometheus.GaugeValue, float64(stats.Dead))
	ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(stats.CallbacksPending))
}

// Finishers tells each of its finishers in turn.
type Finishers []Finisher

func (fs Finishers) Finished(ctx context.Context, call *picasso.CallRecord) {
	for _, f := range fs {
		f.Finished(ctx, call)
	}
}
