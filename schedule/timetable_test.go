package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func mustParse(t *testing.T, pattern, zone string) *Timetable {
	t.Helper()
	tt, err := Parse(pattern, zone, DefaultMinInterval)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", pattern, zone, err)
	}
	return tt
}

// ticks lists the ticks after from up to and including until.
func ticks(tt *Timetable, from, until time.Time) []time.Time {
	var out []time.Time
	for next := tt.Next(from); !next.IsZero() && !next.After(until); next = tt.Next(next) {
		out = append(out, next)
	}
	return out
}

func wantTicks(t *testing.T, got []time.Time, want ...time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("ticks %v, want %v", got, want)
	}
	for i := range got {
		if !got[i].Equal(want[i]) || got[i].Location() != time.UTC {
			t.Fatalf("tick %d is %v, want %v in UTC (all: %v)", i, got[i], want[i], got)
		}
	}
}

func TestParseRefusesWithAReason(t *testing.T) {
	for _, tc := range []struct {
		pattern, zone string
		min           time.Duration
		message       string
	}{
		{"* * * *", "", DefaultMinInterval, `Invalid schedule pattern "* * * *": expected exactly 5 fields, found 4: [* * * *]`},
		{"61 * * * *", "", DefaultMinInterval, `Invalid schedule pattern "61 * * * *": end of range (61) above maximum (59): 61`},
		{"@fortnightly", "", DefaultMinInterval, `Invalid schedule pattern "@fortnightly": unrecognized descriptor: @fortnightly`},
		{"@every 30s", "", DefaultMinInterval, `Invalid schedule pattern "@every 30s": @every must be at least 1m0s`},
		{"@every soon", "", DefaultMinInterval, `Invalid schedule pattern "@every soon": failed to parse duration @every soon: time: invalid duration "soon"`},
		{"0 0 30 2 *", "", DefaultMinInterval, `Invalid schedule pattern "0 0 30 2 *": it never matches a date`},
		{"*/2 * * * *", "", 5 * time.Minute, `Invalid schedule pattern "*/2 * * * *": runs must be at least 5m0s apart`},
		{"0,1 3 * * *", "", 5 * time.Minute, `Invalid schedule pattern "0,1 3 * * *": runs must be at least 5m0s apart`},
		{"CRON_TZ=Asia/Tokyo 0 9 * * *", "", DefaultMinInterval, `Invalid schedule pattern "CRON_TZ=Asia/Tokyo 0 9 * * *": give the time zone in timezone, not in the pattern`},
		{"0 9 * * *", "Mars/Olympus_Mons", DefaultMinInterval, `Invalid timezone "Mars/Olympus_Mons": must be an IANA time zone name such as Europe/Berlin`},
		{"0 9 * * *", "Local", DefaultMinInterval, `Invalid timezone "Local": must be an IANA time zone name such as Europe/Berlin`},
		{"0 9 * * *", "../../etc/passwd", DefaultMinInterval, `Invalid timezone "../../etc/passwd": must be an IANA time zone name such as Europe/Berlin`},
	} {
		_, err := Parse(tc.pattern, tc.zone, tc.min)
		if !picasso.IsCode(err, picasso.EINVALID) || picasso.ErrorMessage(err) != tc.message {
			t.Errorf("Parse(%q, %q, %s) = %v\nwant  %s", tc.pattern, tc.zone, tc.min, err, tc.message)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		min     time.Duration
	}{
		{"*/5 * * * *", 5 * time.Minute},
		{"0 9 * * mon-fri", time.Hour},
		{"@hourly", time.Hour},
		{"@daily", DefaultMinInterval},
		{"@every 1m30s", DefaultMinInterval},
		{"@every 1s", time.Second}, // a test-only minimum
	} {
		if _, err := Parse(tc.pattern, "Europe/Berlin", tc.min); err != nil {
			t.Errorf("Parse(%q, min %s): %v", tc.pattern, tc.min, err)
		}
	}
}

// In Europe/Berlin the clocks go from 02:00 to 03:00 on 29 March 2026 and
// from 03:00 back to 02:00 on 25 October 2026.
func TestNextAcrossDaylightSaving(t *testing.T) {
	daily := mustParse(t, "30 2 * * *", "Europe/Berlin")

	t.Run("spring forward: the skipped 02:30 does not happen that day", func(t *testing.T) {
		got := ticks(daily, time.Date(2026, 3, 27, 12, 0, 0, 0, berlin), time.Date(2026, 3, 31, 12, 0, 0, 0, berlin))
		wantTicks(t, got,
			time.Date(2026, 3, 28, 1, 30, 0, 0, time.UTC), // 02:30 CET
			time.Date(2026, 3, 30, 0, 30, 0, 0, time.UTC), // 02:30 CEST
			time.Date(2026, 3, 31, 0, 30, 0, 0, time.UTC))
	})

	t.Run("fall back: the repeated 02:30 happens once, at its first pass", func(t *testing.T) {
		got := ticks(daily, time.Date(2026, 10, 24, 12, 0, 0, 0, berlin), time.Date(2026, 10, 26, 12, 0, 0, 0, berlin))
		wantTicks(t, got,
			time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), // 02:30 CEST
			time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC)) // 02:30 CET
	})

	t.Run("every hour keeps ticking an hour apart through both changes", func(t *testing.T) {
		hourly := mustParse(t, "0 * * * *", "Europe/Berlin")
		got := ticks(hourly, time.Date(2026, 3, 29, 0, 30, 0, 0, berlin), time.Date(2026, 3, 29, 4, 0, 0, 0, berlin))
		wantTicks(t, got,
			time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), // 01:00 CET
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), // 03:00 CEST
			time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC)) // 04:00 CEST
		got = ticks(hourly, time.Date(2026, 10, 25, 1, 30, 0, 0, berlin), time.Date(2026, 10, 25, 3, 0, 0, 0, berlin))
		wantTicks(t, got,
			time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), // 02:00 CEST
			time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), // 02:00 CET
			time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC)) // 03:00 CET
	})

	t.Run("@every counts real time", func(t *testing.T) {
		every := mustParse(t, "@every 1h", "Europe/Berlin")
		from := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)
		got := ticks(every, from, from.Add(3*time.Hour))
		wantTicks(t, got, from.Add(time.Hour), from.Add(2*time.Hour), from.Add(3*time.Hour))
	})

	t.Run("UTC has no changes", func(t *testing.T) {
		utc := mustParse(t, "30 2 * * *", "")
		got := ticks(utc, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC))
		wantTicks(t, got, time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC), time.Date(2026, 3, 30, 2, 30, 0, 0, time.UTC))
	})
}

func TestFirst(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 7, 30, 0, time.UTC)
	quarter := mustParse(t, "*/15 * * * *", "")
	every := mustParse(t, "@every 10m", "")
	for _, tc := range []struct {
		name    string
		tt      *Timetable
		startAt time.Time
		want    time.Time
	}{
		{"no start: the first tick after now", quarter, time.Time{}, time.Date(2026, 6, 1, 10, 15, 0, 0, time.UTC)},
		{"a past start changes nothing", quarter, now.Add(-time.Hour), time.Date(2026, 6, 1, 10, 15, 0, 0, time.UTC)},
		{"a future start on a tick is that tick", quarter, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"a future start between ticks waits for the next", quarter, time.Date(2026, 7, 1, 0, 0, 0, 1, time.UTC), time.Date(2026, 7, 1, 0, 15, 0, 0, time.UTC)},
		{"@every without start: one interval after now", every, time.Time{}, now.Add(10 * time.Minute)},
		{"@every with a future start: the start itself", every, time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)},
		{"@every rounds a start up to the second", every, time.Date(2026, 7, 1, 8, 0, 0, 5, time.UTC), time.Date(2026, 7, 1, 8, 0, 1, 0, time.UTC)},
	} {
		if got := tc.tt.First(now, tc.startAt); !got.Equal(tc.want) {
			t.Errorf("%s: First = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFollowingSkipsMissedTicks(t *testing.T) {
	minutely := mustParse(t, "* * * * *", "")
	tick := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	if got := minutely.following(tick, tick.Add(2*time.Second)); !got.Equal(tick.Add(time.Minute)) {
		t.Errorf("on time: following = %v, want the next minute", got)
	}
	now := tick.Add(3*time.Hour + 20*time.Second)
	if got := minutely.following(tick, now); !got.Equal(tick.Add(3*time.Hour + time.Minute)) {
		t.Errorf("three hours late: following = %v, want the first minute after %v", got, now)
	}
}

func TestPlan(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 7, 30, 0, time.UTC)
	s := &picasso.Schedule{Pattern: "0 12 * * *"}
	if err := Plan(s, now, DefaultMinInterval); err != nil {
		t.Fatal(err)
	}
	if s.Timezone != "UTC" || !s.NextRunAt.Equal(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("planned zone %q next %v", s.Timezone, s.NextRunAt)
	}
	s.Count, s.Runs = 2, 2
	if err := Plan(s, now, DefaultMinInterval); err != nil || !s.NextRunAt.IsZero() {
		t.Errorf("a finished schedule planned %v, %v", s.NextRunAt, err)
	}
	s.Pattern = "noon"
	if err := Plan(s, now, DefaultMinInterval); err == nil || !strings.Contains(err.Error(), `"noon"`) {
		t.Errorf("bad pattern: %v", err)
	}
}
