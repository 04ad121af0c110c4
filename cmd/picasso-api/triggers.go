package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/amqp"
	"github.com/picasso-faas/picasso/nats"
	"github.com/picasso-faas/picasso/trigger"
)

// triggerConfig tunes event triggers (docs/triggers.md).
type triggerConfig struct {
	Brokers               brokerFlags
	brokersEnv            string
	NotificationBroker    string
	NotificationExchanges string
	NotificationTopics    string
	NotificationQueue     string
	NotificationDurable   bool
	Refresh               time.Duration
	MaxMessageBytes       int
	Prefetch              int
	Workers               int
}

// brokerFlags collects --event-broker name=url. String shows the names
// only: the URLs carry credentials and must not reach --help or logs.
type brokerFlags map[string]string

func (b *brokerFlags) String() string {
	names := make([]string, 0, len(*b))
	for name := range *b {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func (b *brokerFlags) Set(v string) error {
	name, url, ok := strings.Cut(v, "=")
	if !ok || name == "" || url == "" {
		return errors.New("must be name=amqp://... or name=nats://...")
	}
	if *b == nil {
		*b = brokerFlags{}
	}
	if _, dup := (*b)[name]; dup {
		return fmt.Errorf("broker %s given twice", name)
	}
	(*b)[name] = url
	return nil
}

func (c *triggerConfig) register(e *envFlags) {
	e.fs.Var(&c.Brokers, "event-broker", "a broker triggers may consume, name=amqp://user:pass@host:5672/vhost or name=nats://host:4222; repeatable (env PICASSO_EVENT_BROKERS, space-separated; never shown)")
	c.brokersEnv = e.getenv("PICASSO_EVENT_BROKERS")
	e.String(&c.NotificationBroker, "notification-broker", "PICASSO_NOTIFICATION_BROKER", "notifications", "the amqp --event-broker carrying the cloud's OpenStack notifications")
	e.String(&c.NotificationExchanges, "notification-exchanges", "PICASSO_NOTIFICATION_EXCHANGES", "", "comma-separated control exchanges to consume notifications from, e.g. nova,cinder,neutron,openstack (none: no openstack triggers)")
	e.String(&c.NotificationTopics, "notification-topics", "PICASSO_NOTIFICATION_TOPICS", "notifications", "comma-separated notification topics (oslo.messaging's topics; versioned_notifications for nova's versioned ones)")
	e.String(&c.NotificationQueue, "notification-queue", "PICASSO_NOTIFICATION_QUEUE", "picasso-notifications", "Picasso's own durable queue for notifications, shared by every replica (never the publisher's notifications.info)")
	e.Bool(&c.NotificationDurable, "notification-exchange-durable", "PICASSO_NOTIFICATION_EXCHANGE_DURABLE", false, "declare the notification exchanges durable, as services with amqp_durable_queues = true do")
	e.Duration(&c.Refresh, "trigger-refresh", "PICASSO_TRIGGER_REFRESH", time.Second, "how often consumers follow the trigger table (a disabled or deleted trigger stops within it)")
	e.Int(&c.MaxMessageBytes, "trigger-max-message-size", "PICASSO_TRIGGER_MAX_MESSAGE_SIZE", 256<<10, "largest message a trigger accepts in bytes (larger ones are dead-lettered)")
	e.Int(&c.Prefetch, "trigger-prefetch", "PICASSO_TRIGGER_PREFETCH", 64, "unacknowledged messages per consumer (AMQP prefetch, JetStream MaxAckPending)")
	e.Int(&c.Workers, "trigger-workers", "PICASSO_TRIGGER_WORKERS", 8, "messages a consumer turns into calls at once")
}

func (c *triggerConfig) check() error {
	if len(c.Brokers) == 0 {
		for _, v := range strings.Fields(c.brokersEnv) {
			if err := c.Brokers.Set(v); err != nil {
				return fmt.Errorf("invalid PICASSO_EVENT_BROKERS: %w", err)
			}
		}
	}
	for name, url := range c.Brokers {
		if err := picasso.ValidateAppName(name); err != nil {
			return fmt.Errorf("invalid --event-broker %s: names are letters, digits, '_' and '-'", name)
		}
		if _, err := newEventSource(name, url, nil); err != nil {
			return fmt.Errorf("invalid --event-broker %s: %s", name, picasso.ErrorMessage(err))
		}
	}
	if c.exchanges() != nil {
		if !strings.HasPrefix(c.Brokers[c.NotificationBroker], "amqp") {
			return fmt.Errorf("invalid --notification-broker %q: must name an amqp --event-broker", c.NotificationBroker)
		}
	}
	switch {
	case c.Refresh <= 0:
		return errors.New("invalid --trigger-refresh: must be positive")
	case c.MaxMessageBytes <= 0, c.Prefetch <= 0, c.Workers <= 0:
		return errors.New("invalid --trigger-max-message-size, --trigger-prefetch or --trigger-workers: must be positive")
	}
	return nil
}

func (c *triggerConfig) exchanges() []string { return splitList(c.NotificationExchanges) }

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// newEventSource is the adapter of the URL's scheme.
func newEventSource(name, url string, logger *slog.Logger) (trigger.Broker, error) {
	switch {
	case strings.HasPrefix(url, "amqp://"), strings.HasPrefix(url, "amqps://"):
		src, err := amqp.New(name, url, logger)
		return trigger.Broker{Type: picasso.SourceAMQP, Source: src}, err
	case strings.HasPrefix(url, "nats://"), strings.HasPrefix(url, "tls://"):
		src, err := nats.New(name, url, logger)
		return trigger.Broker{Type: picasso.SourceNATS, Source: src}, err
	}
	return trigger.Broker{}, picasso.Errorf(picasso.EINVALID, "the URL must start with amqp://, amqps://, nats:// or tls://")
}

// triggers is the trigger consumption of one replica.
type triggers struct {
	manager *trigger.Manager
}

// newTriggers builds the manager and tells the gateway which sources
// tenants may name. Without brokers there is nothing to consume.
func newTriggers(cfg *config, store picasso.TriggerStore, queue picasso.CallQueue, logger *slog.Logger,
	registry prometheus.Registerer, gw *gatewayTriggerConfig) (*triggers, error) {
	c := cfg.Triggers
	brokers := map[string]trigger.Broker{}
	gw.brokers = map[string]picasso.TriggerSourceType{}
	for name, url := range c.Brokers {
		b, err := newEventSource(name, url, logger)
		if err != nil {
			return nil, err
		}
		brokers[name] = b
		gw.brokers[name] = b.Type
	}
	notifications := trigger.NotificationConfig{
		Exchanges:       c.exchanges(),
		Topics:          splitList(c.NotificationTopics),
		Queue:           c.NotificationQueue,
		ExchangeDurable: c.NotificationDurable,
	}
	if len(notifications.Exchanges) > 0 {
		notifications.Broker = c.NotificationBroker
		gw.notifications = true
	}
	m := trigger.NewManager(trigger.Config{
		Brokers:         brokers,
		Notifications:   notifications,
		Refresh:         c.Refresh,
		MaxMessageBytes: c.MaxMessageBytes,
		Prefetch:        c.Prefetch,
		Workers:         c.Workers,
	}, store, queue, logger, registry)
	return &triggers{manager: m}, nil
}

// gatewayTriggerConfig is what the gateway learns of the brokers.
type gatewayTriggerConfig struct {
	brokers       map[string]picasso.TriggerSourceType
	notifications bool
}

// start consumes until the returned stop is called; stop waits until the
// consumers let go of their messages (unacknowledged ones are redelivered).
func (t *triggers) start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.manager.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
