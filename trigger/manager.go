// Package trigger turns broker messages into calls: it keeps one consumer
// per enabled amqp or nats trigger and one per deployment for the cloud's
// OpenStack notifications, matches each message against the triggers'
// filters (and, for notifications, the project rule), and records a call
// through picasso.CallQueue before the message is acknowledged.
package trigger

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
)

// Broker is a named broker of the operator's configuration.
type Broker struct {
	Type   picasso.TriggerSourceType // SourceAMQP or SourceNATS
	Source picasso.EventSource
}

// NotificationConfig says where the cloud's notifications are.
type NotificationConfig struct {
	// Broker names the AMQP broker carrying them; "" disables the
	// openstack source.
	Broker string
	// Exchanges are the services' control exchanges (nova, cinder, ...).
	Exchanges []string
	// Topics are the notification topics (default "notifications"); the
	// queue binds "<topic>.*", i.e. every priority.
	Topics []string
	// Queue is Picasso's own durable queue, shared by every replica; never
	// the publisher's "notifications.info", which other consumers own.
	Queue string
	// ExchangeDurable must match how the services declare their exchanges
	// (oslo.messaging's amqp_durable_queues, false by default).
	ExchangeDurable bool
}

// Config tunes the Manager; zero values select the defaults.
type Config struct {
	Brokers       map[string]Broker
	Notifications NotificationConfig
	// Refresh is how often the consumers are compared with the trigger
	// table (default 1 s): a disabled or deleted trigger stops within it.
	Refresh time.Duration
	// MaxMessageBytes bounds a message (default 256 KiB); larger ones are
	// dead-lettered.
	MaxMessageBytes int
	// Prefetch bounds unacknowledged messages per consumer (default 64).
	Prefetch int
	// Workers is how many messages a consumer handles at once (default 8).
	Workers int
}

func (c *Config) setDefaults() {
	if c.Refresh <= 0 {
		c.Refresh = time.Second
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 256 << 10
	}
	if c.Prefetch <= 0 {
		c.Prefetch = 64
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	c.Workers = min(c.Workers, c.Prefetch)
	if len(c.Notifications.Topics) == 0 {
		c.Notifications.Topics = []string{"notifications"}
	}
	if c.Notifications.Queue == "" {
		c.Notifications.Queue = "picasso-notifications"
	}
}

// Manager keeps the consumers in line with the trigger table.
type Manager struct {
	cfg     Config
	store   picasso.TriggerStore
	queue   picasso.CallQueue
	logger  *slog.Logger
	status  *statusBook
	metrics *metrics

	// openstack holds the enabled openstack triggers, for the fan-out.
	openstack atomic.Pointer[[]*picasso.Trigger]
	running   map[string]*consumer
}

// consumer is the running consumption of one trigger's source.
type consumer struct {
	version time.Time // the trigger's UpdatedAt when it was started
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewManager returns a manager; Run starts it.
func NewManager(cfg Config, store picasso.TriggerStore, queue picasso.CallQueue, logger *slog.Logger,
	reg prometheus.Registerer) *Manager {
	cfg.setDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{cfg: cfg, store: store, queue: queue, logger: logger, status: newStatusBook(time.Now),
		metrics: newMetrics(reg), running: map[string]*consumer{}}
	m.openstack.Store(&[]*picasso.Trigger{})
	return m
}

// Run consumes until ctx ends, then stops every consumer and writes the
// last status counts.
func (m *Manager) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if n := m.cfg.Notifications; n.Broker != "" && len(n.Exchanges) > 0 {
		wg.Go(func() { m.consumeNotifications(ctx) })
	}
	ticker := time.NewTicker(m.cfg.Refresh)
	defer ticker.Stop()
	for {
		if ctx.Err() == nil {
			m.reconcile(ctx)
			m.status.flush(ctx, m.store, m.logger)
		}
		select {
		case <-ctx.Done():
			for id := range m.running {
				m.stop(id)
			}
			wg.Wait()
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			m.status.flush(final, m.store, m.logger)
			cancel()
			return
		case <-ticker.C:
		}
	}
}

func (m *Manager) notificationTriggers() []*picasso.Trigger { return *m.openstack.Load() }

// reconcile starts a consumer for every enabled amqp or nats trigger that
// has none (or whose definition changed) and stops the others. When the
// store cannot answer, the consumers keep running as they are.
func (m *Manager) reconcile(ctx context.Context) {
	triggers, err := m.store.EnabledTriggers(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.logger.WarnContext(ctx, "triggers not refreshed", "error", err)
		}
		return
	}
	var openstack []*picasso.Trigger
	wanted := map[string]bool{}
	for _, t := range triggers {
		if t.Source.Type == picasso.SourceOpenStack {
			openstack = append(openstack, t)
			continue
		}
		wanted[t.ID] = true
		if c, ok := m.running[t.ID]; ok && c.version.Equal(t.UpdatedAt) {
			continue
		}
		m.stop(t.ID)
		m.start(ctx, t)
	}
	m.openstack.Store(&openstack)
	for id := range m.running {
		if !wanted[id] {
			m.stop(id)
		}
	}
	m.metrics.consumers.Set(float64(len(m.running)))
}

func (m *Manager) start(ctx context.Context, t *picasso.Trigger) {
	broker, ok := m.cfg.Brokers[t.Source.Broker]
	if !ok || broker.Type != t.Source.Type {
		// The gateway refuses such triggers; the configuration may have
		// changed since. Try again when the trigger or the config does.
		m.status.lastError(t.ID, picasso.Errorf(picasso.EINVALID, "No %s broker named %q is configured", t.Source.Type, t.Source.Broker))
		m.running[t.ID] = &consumer{version: t.UpdatedAt, cancel: func() {}, done: closed}
		return
	}
	cctx, cancel := context.WithCancel(ctx)
	c := &consumer{version: t.UpdatedAt, cancel: cancel, done: make(chan struct{})}
	m.running[t.ID] = c
	sub := m.subscription(t)
	go func() {
		defer close(c.done)
		if err := broker.Source.Consume(cctx, sub, m.messageHandler(t)); err != nil && cctx.Err() == nil {
			m.status.lastError(t.ID, err)
		}
	}()
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// stop cancels the trigger's consumer and waits until it has let go of
// its messages, so that a restarted one never runs beside it.
func (m *Manager) stop(id string) {
	c, ok := m.running[id]
	if !ok {
		return
	}
	c.cancel()
	<-c.done
	delete(m.running, id)
}

func (m *Manager) subscription(t *picasso.Trigger) picasso.EventSubscription {
	src := t.Source
	sub := picasso.EventSubscription{
		Prefetch: m.cfg.Prefetch,
		Workers:  m.cfg.Workers,
		Report:   func(err error) { m.status.lastError(t.ID, err) },
	}
	switch src.Type {
	case picasso.SourceAMQP:
		sub.Queue = src.Queue
		// A project's own exchanges are durable, like its queues.
		sub.ExchangeDurable = true
		if src.Exchange != "" {
			sub.Bindings = []picasso.EventBinding{{Exchange: src.Exchange, RoutingKey: src.RoutingKey}}
		}
	case picasso.SourceNATS:
		sub.Subject, sub.Stream, sub.Durable = src.Subject, src.Stream, src.Durable
		if sub.Durable == "" {
			// The durable consumer (JetStream) or queue group (core NATS)
			// shared by every replica, so that they compete for messages.
			sub.Durable = "picasso_trigger_" + t.ID
		}
	}
	return sub
}

// consumeNotifications consumes the deployment's notification queue until
// ctx ends.
func (m *Manager) consumeNotifications(ctx context.Context) {
	n := m.cfg.Notifications
	broker, ok := m.cfg.Brokers[n.Broker]
	if !ok || broker.Type != picasso.SourceAMQP {
		m.logger.ErrorContext(ctx, "notifications: no amqp broker of that name is configured", "broker", n.Broker)
		return
	}
	sub := picasso.EventSubscription{
		Queue:           n.Queue,
		ExchangeDurable: n.ExchangeDurable,
		Prefetch:        m.cfg.Prefetch,
		Workers:         m.cfg.Workers,
		Report: func(err error) {
			m.logger.WarnContext(ctx, "notifications: broker failure, retrying", "error", err)
		},
	}
	for _, exchange := range n.Exchanges {
		for _, topic := range n.Topics {
			sub.Bindings = append(sub.Bindings, picasso.EventBinding{Exchange: exchange, RoutingKey: topic + ".*"})
		}
	}
	if err := broker.Source.Consume(ctx, sub, m.handleNotification); err != nil && ctx.Err() == nil {
		m.logger.ErrorContext(ctx, "notifications: consumer stopped", "error", err)
	}
}
