package picasso

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Schedule runs a route on a timetable: a cron pattern read in a time
// zone. Each tick becomes a call on the CallQueue. The store keeps when
// the next tick is due (NextRunAt); replicas fire a tick by advancing it.
type Schedule struct {
	ID        string
	ProjectID string
	AppID     string
	// AppName is the name of the app AppID, read with the schedule.
	AppName   string
	RoutePath string
	Name      string
	// Pattern is five cron fields, "@every <duration>" or a descriptor
	// such as "@hourly"; Timezone the IANA zone it is read in.
	Pattern  string
	Timezone string
	// StartAt, when set, is the earliest time a tick may fire.
	StartAt time.Time
	// Count, when above zero, stops the schedule after that many runs.
	Count int
	// Input is the JSON document sent to the function: a JSON string is
	// sent as its text, anything else as JSON. Empty sends no body.
	Input   string
	Enabled bool
	// NextRunAt is the tick that fires next; zero once Count runs happened.
	NextRunAt time.Time
	// LastRunAt is the tick that fired last; zero before the first.
	LastRunAt time.Time
	Runs      int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Bounds of schedule fields.
const (
	MaxScheduleNameLength = 255
	MaxScheduleInput      = 64 << 10
	MaxTimezoneLength     = 64
	MaxPatternLength      = 255
)

// DefaultTimezone is the zone of a schedule created without one.
const DefaultTimezone = "UTC"

// Validate checks the fields of a schedule a client may set, except the
// pattern and the zone, whose parser lives with the timetable.
func (s *Schedule) Validate() error {
	switch {
	case s.Name == "":
		return Errorf(EINVALID, "Missing schedule name")
	case len(s.Name) > MaxScheduleNameLength:
		return Errorf(EINVALID, "Schedule name must be %d characters or less", MaxScheduleNameLength)
	case !utf8.ValidString(s.Name) || strings.ContainsAny(s.Name, "\x00\r\n"):
		return Errorf(EINVALID, "Schedule name must be valid UTF-8 without NUL or line breaks")
	case s.Pattern == "":
		return Errorf(EINVALID, "Missing schedule pattern")
	case len(s.Pattern) > MaxPatternLength:
		return Errorf(EINVALID, "Schedule pattern must be %d characters or less", MaxPatternLength)
	case len(s.Timezone) > MaxTimezoneLength:
		return Errorf(EINVALID, "Schedule timezone must be %d characters or less", MaxTimezoneLength)
	case s.Count < 0:
		return Errorf(EINVALID, "Schedule count must not be negative")
	case len(s.Input) > MaxScheduleInput:
		return Errorf(EINVALID, "Schedule input must be %d bytes or less", MaxScheduleInput)
	case s.Input != "" && !json.Valid([]byte(s.Input)):
		return Errorf(EINVALID, "Schedule input must be a JSON value")
	}
	return nil
}

// Finished reports whether the schedule ran Count times and so has no
// tick left.
func (s *Schedule) Finished() bool {
	return s.Count > 0 && s.Runs >= s.Count
}

// Request is the request each tick sends to the function: a POST whose
// body is the input, as text when the input is a JSON string.
func (s *Schedule) Request() CallRequest {
	req := CallRequest{Method: http.MethodPost, Header: http.Header{}}
	if s.Input == "" {
		return req
	}
	var text string
	if err := json.Unmarshal([]byte(s.Input), &text); err == nil {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		req.Body = []byte(text)
		return req
	}
	req.Header.Set("Content-Type", "application/json")
	req.Body = []byte(s.Input)
	return req
}

// TickKey is the idempotency key of the call of one tick: replicas racing
// on the same tick enqueue the same key, so the queue keeps one call.
func (s *Schedule) TickKey(tick time.Time) string {
	return "schedule:" + s.ID + ":" + tick.UTC().Format(time.RFC3339)
}

// ScheduleStore keeps schedules. Methods return *Error values with
// ENOTFOUND, ECONFLICT, EQUOTA or EUNAVAILABLE.
type ScheduleStore interface {
	// CreateSchedule inserts s, giving it an ID and timestamps. ENOTFOUND
	// when the route does not exist, ECONFLICT when the project has a
	// schedule of that name, EQUOTA (a *LimitError) when it has limit
	// schedules already (limit may be Unlimited). The count and the insert
	// are one transaction under the project's quota lock.
	CreateSchedule(ctx context.Context, s *Schedule, limit int64) error
	GetSchedule(ctx context.Context, projectID, id string) (*Schedule, error)
	// ListSchedules returns one page of the project's schedules ordered by ID.
	ListSchedules(ctx context.Context, projectID string, page Page) ([]*Schedule, error)
	// UpdateSchedule writes the client's fields and NextRunAt of the
	// schedule with s.ID, never Runs or LastRunAt; ECONFLICT unless the row
	// still has s.UpdatedAt.
	UpdateSchedule(ctx context.Context, s *Schedule) error
	DeleteSchedule(ctx context.Context, projectID, id string) error
	// DueSchedules returns at most limit enabled schedules whose NextRunAt
	// is at or before now, the most overdue first.
	DueSchedules(ctx context.Context, now time.Time, limit int) ([]*Schedule, error)
	// AdvanceSchedule records that tick fired: NextRunAt becomes next
	// (zero: no tick left), LastRunAt tick, and Runs grows by one. It
	// writes only if the schedule is enabled and still due at tick, and
	// reports whether it did: of replicas racing on one tick, one wins.
	AdvanceSchedule(ctx context.Context, id string, tick, next time.Time) (bool, error)
}

// Clock tells the time; tests inject one they move by hand.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }
