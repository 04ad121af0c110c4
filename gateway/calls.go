package gateway

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"encoding/base64"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

type callView struct {
	ID              string `json:"id"`
	ProjectID       string `json:"project_id"`
	App             string `json:"app"`
	Route           string `json:"route"`
	Status          string `json:"status"`
	Trigger         string `json:"trigger"`
	Attempt         int    `json:"attempt"`
	MaxAttempts     int    `json:"max_attempts"`
	RequestID       string `json:"request_id"`
	IdempotencyKey  string `json:"idempotency_key,omitempty"`
	CallbackURL     string `json:"callback_url,omitempty"`
	CreatedAt       string `json:"created_at"`
	NotBefore       string `json:"not_before"`
	StartedAt       string `json:"started_at,omitempty"`
	FinishedAt      string `json:"finished_at,omitempty"`
	DurationMS      int64  `json:"duration_ms"`
	HTTPStatus      int    `json:"http_status,omitempty"`
	Error           string `json:"error,omitempty"`
	Result          string `json:"result,omitempty"`
	ResultEncoding  string `json:"result_encoding,omitempty"`
	ResultTruncated bool   `json:"result_truncated"`
	Log             string `json:"log,omitempty"`

	CallbackStatus   string `json:"callback_status,omitempty"`
	CallbackAttempts int    `json:"callback_attempts,omitempty"`
	CallbackError    string `json:"callback_error,omitempty"`
}

// newCallView shows a call; bytes that are not UTF-8 (a binary result)
// are shown in base64 and result_encoding says so.
func newCallView(c *picasso.CallRecord) callView {
	v := callView{
		ID:              c.ID,
		ProjectID:       c.ProjectID,
		App:             c.AppName,
		Route:           c.RoutePath,
		Status:          string(c.Status),
		Trigger:         string(c.Trigger),
		Attempt:         c.Attempt,
		MaxAttempts:     c.MaxAttempts,
		RequestID:       c.RequestID,
		IdempotencyKey:  c.IdempotencyKey,
		CallbackURL:     c.CallbackURL,
		CreatedAt:       formatTime(c.CreatedAt),
		NotBefore:       formatTime(c.NotBefore),
		DurationMS:      c.Duration().Milliseconds(),
		HTTPStatus:      c.HTTPStatus,
		Error:           c.Error,
		ResultTruncated: c.ResultTruncated,
		Log:             strings.ToValidUTF8(string(c.Log), "\uFFFD"),

		CallbackStatus:   string(c.CallbackStatus),
		CallbackAttempts: c.CallbackAttempts,
		CallbackError:    c.CallbackError,
	}
	if !c.StartedAt.IsZero() {
		v.StartedAt = formatTime(c.StartedAt)
	}
	if !c.FinishedAt.IsZero() && c.Status != picasso.CallRunning {
		v.FinishedAt = formatTime(c.FinishedAt)
	}
	if utf8.Valid(c.Result) {
		v.Result = string(c.Result)
	} else {
		v.Result, v.ResultEncoding = base64.StdEncoding.EncodeToString(c.Result), "base64"
	}
	return v
}

type callResponse struct {
	Call callView `json:"call"`
}

type callsResponse struct {
	Calls      []callView `json:"calls"`
	NextMarker string     `json:"next_marker,omitempty"`
}

var callStatuses = []picasso.CallStatus{picasso.CallQueued, picasso.CallRunning, picasso.CallSucceeded,
	picasso.CallFailed, picasso.CallDead, picasso.CallCancelled}

// callFilter reads the list's query: app, route, status and since.
func callFilter(r *http.Request) (picasso.CallFilter, error) {
	q := r.URL.Query()
	f := picasso.CallFilter{AppName: q.Get("app"), RoutePath: q.Get("route"), Status: picasso.CallStatus(q.Get("status"))}
	if f.RoutePath != "" && !strings.HasPrefix(f.RoutePath, "/") {
		f.RoutePath = "/" + f.RoutePath
	}
	if f.Status != "" && !knownStatus(f.Status) {
		return f, picasso.Errorf(picasso.EINVALID, "Invalid status %q: must be one of queued, running, succeeded, failed, dead, cancelled", f.Status)
	}
	if since := q.Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339Nano, since)
		if err != nil {
			return f, picasso.Errorf(picasso.EINVALID, "Invalid since %q: must be an RFC 3339 time", since)
		}
		f.Since = t
	}
	return f, nil
}

func knownStatus(s picasso.CallStatus) bool {
	for _, known := range callStatuses {
		if s == known {
			return true
		}
	}
	return false
}

func (s *Server) callStore() (picasso.CallStore, error) {
	if s.records == nil {
		return nil, picasso.Errorf(picasso.EUNAVAILABLE, "Call records are not available on this server")
	}
	return s.records, nil
}

func (s *Server) handleListCalls() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		records, err := s.callStore()
		if err != nil {
			return err
		}
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		filter, err := callFilter(r)
		if err != nil {
			return err
		}
		calls, err := records.ListCalls(r.Context(), mux.Vars(r)["project_id"], filter, page)
		if err != nil {
			return err
		}
		resp := callsResponse{Calls: make([]callView, 0, len(calls))}
		for _, c := range calls {
			resp.Calls = append(resp.Calls, newCallView(c))
		}
		if len(calls) > 0 {
			resp.NextMarker = nextMarker(page, len(calls), calls[len(calls)-1].ID)
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}

func (s *Server) handleGetCall() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		records, err := s.callStore()
		if err != nil {
			return err
		}
		vars := mux.Vars(r)
		call, err := records.GetCall(r.Context(), vars["project_id"], vars["call_id"])
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, callResponse{Call: newCallView(call)})
		return nil
	})
}

// handleCancelCall cancels a call that has not started (409 otherwise).
func (s *Server) handleCancelCall() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		records, err := s.callStore()
		if err != nil {
			return err
		}
		vars := mux.Vars(r)
		call, err := records.CancelCall(r.Context(), vars["project_id"], vars["call_id"])
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, callResponse{Call: newCallView(call)})
		return nil
	})
}

// handleRetryCall re-queues a dead or failed call (409 otherwise).
func (s *Server) handleRetryCall() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		records, err := s.callStore()
		if err != nil {
			return err
		}
		vars := mux.Vars(r)
		call, err := records.RequeueCall(r.Context(), vars["project_id"], vars["call_id"])
		if err != nil {
			return err
		}
		w.Header().Set("Location", callLocation(call))
		writeJSON(w, http.StatusAccepted, callResponse{Call: newCallView(call)})
		return nil
	})
}

type callbackKeyResponse struct {
	CallbackKey struct {
		Key       string `json:"key"`
		Algorithm string `json:"algorithm"`
	} `json:"callback_key"`
}

// handleGetCallbackKey shows the project the key its callbacks are signed
// with. It is a secret, so only those who may write get it.
func (s *Server) handleGetCallbackKey() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var key string
		ok := false
		if s.cbKeys != nil {
			key, ok = s.cbKeys.CallbackKey(mux.Vars(r)["project_id"])
		}
		if !ok {
			return picasso.Errorf(picasso.ENOTFOUND, "Callbacks are not signed on this server")
		}
		var resp callbackKeyResponse
		resp.CallbackKey.Key, resp.CallbackKey.Algorithm = key, "hmac-sha256"
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}
