// Package schedule runs schedules: it parses their patterns, computes when
// they are next due, and in every replica fires the due ticks as calls on
// the execution core's queue, exactly once per tick across replicas.
package schedule

import (
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/picasso-faas/picasso"
)

// DefaultMinInterval is the shortest gap allowed between two ticks.
const DefaultMinInterval = time.Minute

// parser reads the standard five fields (minute, hour, day of month,
// month, day of week), "@every <duration>" and the descriptors @yearly,
// @annually, @monthly, @weekly, @daily, @midnight and @hourly.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// gapSamples is how many consecutive ticks of a five-field pattern are
// checked against a minimum interval above one minute: a day of minutes,
// enough to find the shortest gap of any pattern repeating daily or faster.
const gapSamples = 1500

// Timetable is a parsed pattern read in its time zone.
type Timetable struct {
	schedule cron.Schedule
	location *time.Location
}

// Parse reads pattern in the IANA zone ("" is UTC) and refuses patterns
// whose ticks may come closer than minInterval. Errors are EINVALID with
// a message saying what is wrong.
func Parse(pattern, zone string, minInterval time.Duration) (*Timetable, error) {
	location, err := loadZone(zone)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(pattern, "TZ=") || strings.HasPrefix(pattern, "CRON_TZ=") {
		return nil, picasso.Errorf(picasso.EINVALID, "Invalid schedule pattern %q: give the time zone in timezone, not in the pattern", pattern)
	}
	parsed, err := parser.Parse(pattern)
	if err != nil {
		return nil, picasso.Errorf(picasso.EINVALID, "Invalid schedule pattern %q: %v", pattern, err)
	}
	t := &Timetable{schedule: parsed, location: location}
	if err := t.checkInterval(pattern, minInterval); err != nil {
		return nil, err
	}
	return t, nil
}

// loadZone accepts IANA names only: "Local" would mean whatever zone the
// replica's host happens to have.
func loadZone(zone string) (*time.Location, error) {
	if zone == "" {
		return time.UTC, nil
	}
	location, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		return nil, picasso.Errorf(picasso.EINVALID, "Invalid timezone %q: must be an IANA time zone name such as Europe/Berlin", zone)
	}
	return location, nil
}

func (t *Timetable) checkInterval(pattern string, minInterval time.Duration) error {
	if every, ok := t.schedule.(cron.ConstantDelaySchedule); ok {
		if every.Delay < minInterval {
			return picasso.Errorf(picasso.EINVALID, "Invalid schedule pattern %q: @every must be at least %s", pattern, minInterval)
		}
		return nil
	}
	reference := time.Date(2026, 1, 1, 0, 0, 0, 0, t.location)
	prev := t.Next(reference)
	if prev.IsZero() {
		return picasso.Errorf(picasso.EINVALID, "Invalid schedule pattern %q: it never matches a date", pattern)
	}
	if minInterval <= time.Minute {
		return nil // five fields cannot tick faster than once a minute
	}
	for range gapSamples {
		next := t.Next(prev)
		if next.IsZero() {
			return nil
		}
		if next.Sub(prev) < minInterval {
			return picasso.Errorf(picasso.EINVALID, "Invalid schedule pattern %q: runs must be at least %s apart", pattern, minInterval)
		}
		prev = next
	}
	return nil
}

// Next is the first tick strictly after the given time, in UTC; zero
// when the pattern matches no later date.
//
// Ticks are wall-clock times in the zone. On the day a daylight saving
// change skips an hour, a tick inside the skipped hour does not happen.
// On the day an hour repeats, a pattern with a fixed hour ticks once, at
// the first pass; a pattern for every hour ("*") ticks in both passes,
// which are an hour apart like all its ticks. "@every" counts real time
// and ignores the change. See TestNextAcrossDaylightSaving.
func (t *Timetable) Next(after time.Time) time.Time {
	after = after.In(t.location)
	next := t.schedule.Next(after)
	for t.fixedHour() && !next.IsZero() && sameWallClock(next, after) {
		// The second pass through a repeated hour reads the same wall
		// clock as the tick that fired in the first.
		next = t.schedule.Next(next)
	}
	if next.IsZero() {
		return next
	}
	return next.UTC()
}

// starBit marks a field given as "*" in the parser's bit sets.
const starBit = 1 << 63

// fixedHour reports whether the pattern names its hours rather than "*".
func (t *Timetable) fixedHour() bool {
	spec, ok := t.schedule.(*cron.SpecSchedule)
	return ok && spec.Hour&starBit == 0
}

func sameWallClock(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}

// First is the first tick of a schedule written at now: the first tick at
// or after startAt when that is later than now, otherwise the first tick
// after now. "@every d" starts at startAt itself, or d after now.
func (t *Timetable) First(now, startAt time.Time) time.Time {
	if !startAt.After(now) {
		return t.Next(now)
	}
	if _, ok := t.schedule.(cron.ConstantDelaySchedule); ok {
		// Ticks are whole seconds, the precision of the tick's key.
		return startAt.Add(time.Second - time.Nanosecond).Truncate(time.Second).UTC()
	}
	return t.Next(startAt.Add(-time.Nanosecond))
}

// following is the tick after tick, which just fired at now. When that
// too is already past (every replica was down, or the database was), the
// ticks in between are skipped: the late tick that fired was the one
// catch-up run, and the schedule resumes at its first tick after now.
func (t *Timetable) following(tick, now time.Time) time.Time {
	next := t.Next(tick)
	if !next.IsZero() && !next.After(now) {
		next = t.Next(now)
	}
	return next
}

// Plan validates the pattern and the zone of s (filling the default
// zone) and sets s.NextRunAt to its first tick from now: zero for a
// schedule that has run its count.
func Plan(s *picasso.Schedule, now time.Time, minInterval time.Duration) error {
	if s.Timezone == "" {
		s.Timezone = picasso.DefaultTimezone
	}
	t, err := Parse(s.Pattern, s.Timezone, minInterval)
	if err != nil {
		return err
	}
	s.NextRunAt = time.Time{}
	if !s.Finished() {
		s.NextRunAt = t.First(now, s.StartAt)
	}
	return nil
}
