package schedule

import (
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// FuzzParse: whatever a client sends as pattern and zone is either a 400
// or a timetable whose next tick lies after the given time.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"* * * * *", "*/5 1-3 * jan mon-fri", "@every 1h30m", "@hourly", "0 0 30 2 *", "61 * * * *", "@every -1s", "TZ=UTC * * * *", ""} {
		f.Add(seed, "Europe/Berlin")
	}
	f.Fuzz(func(t *testing.T, pattern, zone string) {
		tt, err := Parse(pattern, zone, time.Second)
		if err != nil {
			if !picasso.IsCode(err, picasso.EINVALID) {
				t.Fatalf("Parse(%q, %q) = %v, want EINVALID", pattern, zone, err)
			}
			return
		}
		from := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
		if next := tt.Next(from); !next.IsZero() && !next.After(from) {
			t.Fatalf("Parse(%q, %q).Next(%v) = %v", pattern, zone, from, next)
		}
	})
}
