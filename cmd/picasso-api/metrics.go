package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso/keystone"
)

// keystoneCollector exports the token validator's counters.
type keystoneCollector struct {
	validator   *keystone.Validator
	validations *prometheus.Desc
	cache       *prometheus.Desc
	rejections  *prometheus.Desc
	logins      *prometheus.Desc
}

func newKeystoneCollector(v *keystone.Validator) *keystoneCollector {
	return &keystoneCollector{
		validator:   v,
		validations: prometheus.NewDesc("picasso_keystone_validations_total", "Token validations sent to Keystone.", nil, nil),
		cache:       prometheus.NewDesc("picasso_keystone_cache_lookups_total", "Lookups of the validated-token cache by result.", []string{"result"}, nil),
		rejections:  prometheus.NewDesc("picasso_keystone_rejections_total", "Requests refused by the validator, by reason.", []string{"reason"}, nil),
		logins:      prometheus.NewDesc("picasso_keystone_service_logins_total", "Logins of Picasso's service user.", nil, nil),
	}
}

func (c *keystoneCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.validations
	ch <- c.cache
	ch <- c.rejections
	ch <- c.logins
}

func (c *keystoneCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.validator.Stats()
	ch <- prometheus.MustNewConstMetric(c.validations, prometheus.CounterValue, float64(s.Validations))
	ch <- prometheus.MustNewConstMetric(c.cache, prometheus.CounterValue, float64(s.CacheHits), "hit")
	ch <- prometheus.MustNewConstMetric(c.cache, prometheus.CounterValue, float64(s.CacheMisses), "miss")
	ch <- prometheus.MustNewConstMetric(c.rejections, prometheus.CounterValue, float64(s.Invalid), "invalid")
	ch <- prometheus.MustNewConstMetric(c.rejections, prometheus.CounterValue, float64(s.NegativeHits), "negative_cache")
	ch <- prometheus.MustNewConstMetric(c.rejections, prometheus.CounterValue, float64(s.Unavailable), "unavailable")
	ch <- prometheus.MustNewConstMetric(c.logins, prometheus.CounterValue, float64(s.Logins))
}
