package quota_test

import (
	"context"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/quota"
)

func TestParseDefaults(t *testing.T) {
	d, err := quota.ParseDefaults(" function_apps=20, function_rate = 50 ,function_queued=-1,")
	if err != nil {
		t.Fatal(err)
	}
	for resource, want := range map[picasso.Resource]int64{
		picasso.ResourceApps:        20,
		picasso.ResourceRate:        50,
		picasso.ResourceQueued:      picasso.Unlimited,
		picasso.ResourceConcurrency: quota.BuiltinDefaults()[picasso.ResourceConcurrency],
	} {
		if got, _ := d.Limit(context.Background(), "p", resource); got != want {
			t.Errorf("%s = %d, want %d", resource, got, want)
		}
	}
	if again, err := quota.ParseDefaults(d.String()); err != nil || again.String() != d.String() {
		t.Errorf("String() does not round-trip: %q, %v", again.String(), err)
	}
	for spec, want := range map[string]string{
		"function_things=1": `"function_things=1" is not resource=limit`,
		"function_apps":     `"function_apps" is not resource=limit`,
		"function_apps=x":   `limit of function_apps must be an integer`,
		"function_apps=-2":  `limit of function_apps must be an integer`,
	} {
		if _, err := quota.ParseDefaults(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDefaults(%q) = %v, want an error with %q", spec, err, want)
		}
	}
	if got, _ := (quota.Defaults{}).Limit(context.Background(), "p", picasso.ResourceApps); got != picasso.Unlimited {
		t.Errorf("an absent default = %d, want unlimited", got)
	}
}
