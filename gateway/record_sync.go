package gateway

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/picasso-faas/picasso"
)

// maxRecordedResult bounds the result a recorded sync call keeps.
const maxRecordedResult = 1 << 20

// forwardRecorded runs a sync call of a route with record_sync and
// records it as a call once it answered: its status, the first MiB of its
// answer, how long it took. The request body streamed to the function and
// is not kept.
func (s *Server) forwardRecorded(w http.ResponseWriter, r *http.Request, entry resolvedRoute, id *picasso.Identity, envelope bool) error {
	rec := &resultRecorder{ResponseWriter: w}
	started := time.Now()
	err := s.forward(rec, r, entry, id, envelope)
	header := forwardHeaders(r, id, entry.route)
	header.Del("X-Auth-Token")
	call := &picasso.CallRecord{
		ProjectID:       entry.app.ProjectID,
		AppID:           entry.app.ID,
		AppName:         entry.app.Name,
		RoutePath:       entry.route.Path,
		Status:          picasso.CallSucceeded,
		Trigger:         triggerOf(r),
		Attempt:         1,
		MaxAttempts:     1,
		Timeout:         entry.route.TimeoutDuration(),
		RequestID:       picasso.RequestIDFrom(r.Context()),
		Request:         picasso.CallRequest{Method: r.Method, RawQuery: cleanQuery(r.URL.RawQuery), Header: header},
		StartedAt:       started,
		FinishedAt:      time.Now(),
		HTTPStatus:      rec.status,
		Result:          rec.body,
		ResultTruncated: rec.truncated,
	}
	switch {
	case err != nil:
		call.Status, call.Error, call.HTTPStatus = picasso.CallDead, picasso.ErrorMessage(err), statusOf[picasso.ErrorCode(err)]
	case rec.status >= 500:
		call.Status, call.Error = picasso.CallDead, fmt.Sprintf("Function answered %d", rec.status)
	}
	if err := s.records.RecordCall(context.WithoutCancel(r.Context()), call); err != nil {
		s.logger.WarnContext(r.Context(), "sync call not recorded", "error", err)
	}
	return err
}

// resultRecorder passes a response through and keeps its status and the
// first maxRecordedResult bytes of its body.
type resultRecorder struct {
	http.ResponseWriter
	status    int
	body      []byte
	truncated bool
}

func (w *resultRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *resultRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	room := maxRecordedResult - len(w.body)
	if len(p) > room {
		w.truncated = true
	}
	w.body = append(w.body, p[:min(len(p), max(room, 0))]...)
	return w.ResponseWriter.Write(p)
}

func (w *resultRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
