package quota

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/picasso-faas/picasso"
)

// Defaults are limits that are the same for every project: what applies
// without Keystone (development mode), and under Keystone to the
// resources it has no limit for. A resource that is absent is unlimited.
type Defaults map[picasso.Resource]int64

var _ picasso.Limits = Defaults(nil)

// Limit returns the default of resource, Unlimited if there is none.
func (d Defaults) Limit(_ context.Context, _ string, resource picasso.Resource) (int64, error) {
	if v, ok := d[resource]; ok {
		return v, nil
	}
	return picasso.Unlimited, nil
}

// BuiltinDefaults are the defaults when none are configured. Concurrency
// is bounded well below the replica's in-flight cap, so one project alone
// cannot take every slot; the rate is unlimited, the concurrency bound
// already caps what a project can take.
func BuiltinDefaults() Defaults {
	return Defaults{
		picasso.ResourceApps:        100,
		picasso.ResourceRoutes:      1000,
		picasso.ResourceConcurrency: 100,
		picasso.ResourceRate:        picasso.Unlimited,
		picasso.ResourceQueued:      10000,
		picasso.ResourceCodeBytes:   1 << 30,
		picasso.ResourceTriggers:    100,
		picasso.ResourceSchedules:   100,
	}
}

// ParseDefaults reads "resource=limit,..." (limit -1 is unlimited) over
// the built-in defaults. An unknown resource or a bad limit is an error
// naming it.
func ParseDefaults(spec string) (Defaults, error) {
	d := BuiltinDefaults()
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		resource := picasso.Resource(strings.TrimSpace(name))
		if !ok || !slices.Contains(picasso.Resources, resource) {
			return nil, fmt.Errorf("%q is not resource=limit with one of the resources %s", item, resourceNames())
		}
		limit, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil || limit < picasso.Unlimited {
			return nil, fmt.Errorf("limit of %s must be an integer, -1 for unlimited, not %q", resource, value)
		}
		d[resource] = limit
	}
	return d, nil
}

// String is the spec ParseDefaults reads, sorted by resource.
func (d Defaults) String() string {
	var items []string
	for _, r := range slices.Sorted(maps.Keys(d)) {
		items = append(items, fmt.Sprintf("%s=%d", r, d[r]))
	}
	return strings.Join(items, ",")
}

func resourceNames() string {
	names := make([]string, len(picasso.Resources))
	for i, r := range picasso.Resources {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
