package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/quota"
)

// limitsConfig are the options of per-project limits.
type limitsConfig struct {
	DefaultLimitsSpec string
	LimitsService     string
	LimitsRegion      string
	LimitsCacheTTL    time.Duration

	defaultLimits quota.Defaults
}

func (c *limitsConfig) flags(e *envFlags) {
	e.String(&c.DefaultLimitsSpec, "default-limits", "PICASSO_DEFAULT_LIMITS", "",
		"per-project limits where Keystone has none, and in noauth mode, as resource=limit,... (-1 unlimited) over "+
			quota.BuiltinDefaults().String())
	e.String(&c.LimitsService, "limits-service", "PICASSO_LIMITS_SERVICE", keystone.DefaultLimitsService,
		"catalog name of the service Keystone's unified limits for Picasso are registered under")
	e.String(&c.LimitsRegion, "limits-region", "PICASSO_LIMITS_REGION", "", "region whose unified limits apply (default: limits without a region)")
	e.Duration(&c.LimitsCacheTTL, "limits-cache-ttl", "PICASSO_LIMITS_CACHE_TTL", keystone.DefaultLimitsCacheTTL,
		"how long limits read from Keystone are used before they are read again")
}

func (c *limitsConfig) complete() error {
	defaults, err := quota.ParseDefaults(c.DefaultLimitsSpec)
	if err != nil {
		return fmt.Errorf("invalid --default-limits: %w", err)
	}
	c.defaultLimits = defaults
	if c.LimitsCacheTTL <= 0 {
		return errors.New("invalid --limits-cache-ttl: must be positive")
	}
	return nil
}

// newLimits returns the projects' limits: Keystone's unified limits over
// the configured defaults, or the defaults alone without Keystone.
func newLimits(cfg *config, logger *slog.Logger, d *dependencies) (picasso.Limits, error) {
	switch cfg.Auth {
	case authKeystone:
		reader, err := keystone.NewLimitReader(keystoneOptions(cfg, logger), keystone.LimitOptions{
			Service:  cfg.LimitsService,
			Region:   cfg.LimitsRegion,
			CacheTTL: cfg.LimitsCacheTTL,
			Defaults: cfg.defaultLimits,
		})
		if err != nil {
			return nil, fmt.Errorf("keystone limits: %w", err)
		}
		d.closers = append(d.closers, func(context.Context) error { reader.Close(); return nil })
		return reader, nil
	default:
		return cfg.defaultLimits, nil
	}
}
