package gateway

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
)

// limitView is one resource in GET /v1/{project_id}/limits. Used is absent
// for function_rate, which has no standing usage, and for resources this
// deployment does not count yet.
type limitView struct {
	Limit int64  `json:"limit"`
	Used  *int64 `json:"used,omitempty"`
}

type limitsResponse struct {
	Limits map[picasso.Resource]limitView `json:"limits"`
}

// quotaView is the "quota" member of a refusal's error body: the limit
// the request ran into, for clients that act on it without parsing text.
type quotaView struct {
	Resource  picasso.Resource `json:"resource"`
	Limit     int64            `json:"limit"`
	Used      int64            `json:"used"`
	Requested int64            `json:"requested"`
}

// quotaMetrics counts refusals by resource. There is deliberately no
// project label: the series stay bounded by the list of resources.
type quotaMetrics struct {
	refusals *prometheus.CounterVec
}

// setUpLimits fills in the limits' absent collaborators and registers the
// refusal counter.
func (s *Server) setUpLimits(reg prometheus.Registerer) {
	if s.limits == nil {
		s.limits = unlimited{}
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.quota = &quotaMetrics{refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "picasso_quota_refusals_total",
		Help: "Requests refused by a project limit, by resource (403 for counts, 429 for concurrency and rate).",
	}, []string{"resource"})}
	reg.MustRegister(s.quota.refusals)
}

// unlimited is the Limits of a gateway given none.
type unlimited struct{}

func (unlimited) Limit(context.Context, string, picasso.Resource) (int64, error) {
	return picasso.Unlimited, nil
}

// limitOf returns the project's limit for a resource.
func (s *Server) limitOf(ctx context.Context, projectID string, resource picasso.Resource) (int64, error) {
	return s.limits.Limit(ctx, projectID, resource)
}

// admit asks the gate for one of the project's call slots.
func (s *Server) admit(ctx context.Context, projectID string) (func(), error) {
	if s.gate == nil {
		return func() {}, nil
	}
	return s.gate.Admit(ctx, projectID)
}

// limitRefusal counts a refusal by a limit, sets Retry-After on the ones
// that may succeed later, and returns the body's quota member; nil for
// every other error.
func (s *Server) limitRefusal(h http.Header, err error) *quotaView {
	var refusal *picasso.LimitError
	if !errors.As(err, &refusal) {
		return nil
	}
	s.quota.refusals.WithLabelValues(string(refusal.Resource)).Inc()
	if picasso.ErrorCode(err) == picasso.ETOOMANY {
		h.Set("Retry-After", strconv.FormatInt(retryAfterSeconds(refusal.RetryAfter), 10))
	}
	return &quotaView{Resource: refusal.Resource, Limit: refusal.Limit, Used: refusal.Used, Requested: refusal.Requested}
}

// retryAfterSeconds rounds up to whole seconds, at least one: the header
// has no finer unit, and 0 would invite an immediate retry.
func retryAfterSeconds(d time.Duration) int64 {
	return max(1, int64(math.Ceil(d.Seconds())))
}

// handleGetLimits shows the project's limit of every resource and what it
// uses of those that are counted. Function calls in flight are counted on
// this replica.
func (s *Server) handleGetLimits() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		projectID := mux.Vars(r)["project_id"]
		usage, err := s.store.Usage(r.Context(), projectID)
		if err != nil {
			return err
		}
		if s.gate != nil {
			usage[picasso.ResourceConcurrency] = s.gate.InFlight(projectID)
		}
		resp := limitsResponse{Limits: make(map[picasso.Resource]limitView, len(picasso.Resources))}
		for _, resource := range picasso.Resources {
			limit, err := s.limitOf(r.Context(), projectID, resource)
			if err != nil {
				return err
			}
			view := limitView{Limit: limit}
			if used, ok := usage[resource]; ok {
				view.Used = &used
			}
			resp.Limits[resource] = view
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}
