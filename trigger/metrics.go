package trigger

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	callsCreated        prometheus.Counter
	poisonNotifications prometheus.Counter
	consumers           prometheus.Gauge
}

// newMetrics registers the trigger metrics on reg (nil: none registered).
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		callsCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "picasso_trigger_calls_created_total",
			Help: "Calls recorded for broker messages and notifications.",
		}),
		poisonNotifications: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "picasso_trigger_poison_notifications_total",
			Help: "OpenStack notifications dead-lettered as unparseable or oversize.",
		}),
		consumers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "picasso_trigger_consumers",
			Help: "Consumers running for amqp and nats triggers.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.callsCreated, m.poisonNotifications, m.consumers)
	}
	return m
}
