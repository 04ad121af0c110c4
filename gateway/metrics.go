package gateway

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
)

// metrics are the gateway's Prometheus series. Every label has a bounded
// set of values: route templates, methods, statuses, outcomes, codes.
type metrics struct {
	requests      *prometheus.HistogramVec
	calls         *prometheus.HistogramVec
	backendCalls  *prometheus.HistogramVec
	authDecisions *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "picasso_http_request_duration_seconds",
			Help:    "HTTP requests by route template, method and status.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"route", "method", "status"}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "picasso_function_call_duration_seconds",
			Help:    "Function calls by outcome: ok, error, timeout, rejected.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 14),
		}, []string{"outcome"}),
		backendCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "picasso_backend_call_duration_seconds",
			Help:    "Management calls to the backend by operation and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10),
		}, []string{"operation", "outcome"}),
		authDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picasso_authentications_total",
			Help: "Token authentications by result.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.calls, m.backendCalls, m.authDecisions)
	return m
}

// observeRequest records a request. The method label is one of the
// standard methods or "other": a client chooses the method, and a label
// taken from it verbatim would let anyone add series without bound.
func (m *metrics) observeRequest(route, method string, status int, elapsed time.Duration) {
	if !standardMethods[method] {
		method = "other"
	}
	m.requests.WithLabelValues(route, method, statusLabel(status)).Observe(elapsed.Seconds())
}

// statusLabel is strconv.Itoa(status), without an allocation for the
// statuses an HTTP answer can have.
func statusLabel(status int) string {
	if status >= 100 && status < 600 {
		return statusLabels[status-100]
	}
	return strconv.Itoa(status)
}

var statusLabels = func() (labels [500]string) {
	for i := range labels {
		labels[i] = strconv.Itoa(100 + i)
	}
	return labels
}()

// standardMethods are the methods of RFC 9110 and PATCH.
var standardMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodConnect: true,
	http.MethodOptions: true, http.MethodTrace: true,
}

// callOutcome classifies a function call for the calls histogram.
func callOutcome(err error) string {
	if err == nil {
		return "ok"
	}
	switch picasso.ErrorCode(err) {
	case picasso.ETIMEOUT:
		return "timeout"
	case picasso.EUNAVAILABLE, picasso.ETOOLARGE, picasso.ETOOMANY:
		return "rejected"
	default:
		return "error"
	}
}

func (m *metrics) observeCall(err error, elapsed time.Duration) {
	m.calls.WithLabelValues(callOutcome(err)).Observe(elapsed.Seconds())
}

func (m *metrics) observeBackend(operation string, err error, elapsed time.Duration) {
	outcome := "ok"
	if err != nil {
		outcome = string(picasso.ErrorCode(err))
	}
	m.backendCalls.WithLabelValues(operation, outcome).Observe(elapsed.Seconds())
}

func (m *metrics) observeAuth(err error) {
	result := "ok"
	if err != nil {
		result = string(picasso.ErrorCode(err))
	}
	m.authDecisions.WithLabelValues(result).Inc()
}
