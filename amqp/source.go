// Package amqp is the RabbitMQ adapter of picasso.EventSource, on the
// maintained client github.com/rabbitmq/amqp091-go. Each consumer has its
// own connection, declares its queue with a dead-letter exchange, binds
// it, consumes with a prefetch bound and manual acknowledgements, and
// starts over with backoff whenever the broker goes away.
package amqp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/backoff"
)

// DeadLetterSuffix names the dead-letter exchange and queue of a queue:
// the poison messages of queue Q end up in queue Q + DeadLetterSuffix.
const DeadLetterSuffix = ".dead"

// Source is one RabbitMQ broker of the operator's configuration.
type Source struct {
	name   string
	url    string
	secret string // the password, scrubbed from every error
	logger *slog.Logger
	// Backoff bounds the waits between reconnections and redeliveries.
	backoff backoff.Policy
}

var _ picasso.EventSource = (*Source)(nil)

// New returns the broker name at rawURL (amqp:// or amqps://). It does
// not connect: consumers do, each on its own connection.
func New(name, rawURL string, logger *slog.Logger) (*Source, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		return nil, picasso.Errorf(picasso.EINVALID, "Broker %s: not an amqp:// or amqps:// URL", name)
	}
	pw, _ := u.User.Password()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Source{name: name, url: rawURL, secret: pw, logger: logger, backoff: backoff.Default}, nil
}

// scrub turns a client error into one safe to show: the broker's name
// instead of its URL, and never its password.
func (s *Source) scrub(err error, doing string) error {
	msg := err.Error()
	if s.secret != "" {
		msg = strings.ReplaceAll(msg, s.secret, "***")
	}
	return picasso.Errorf(picasso.EUNAVAILABLE, "Broker %s: %s: %s", s.name, doing, msg)
}

// Consume runs sessions until ctx ends, waiting with backoff after each
// failure; see picasso.EventSource.
func (s *Source) Consume(ctx context.Context, sub picasso.EventSubscription, handle picasso.EventHandler) error {
	retry := s.backoff.Start()
	for ctx.Err() == nil {
		consumed, err := s.session(ctx, sub, handle)
		if ctx.Err() != nil {
			return nil
		}
		if consumed {
			retry = s.backoff.Start()
		}
		if err != nil && sub.Report != nil {
			sub.Report(err)
		}
		s.logger.WarnContext(ctx, "amqp consumer restarting", "broker", s.name, "queue", sub.Queue, "error", err)
		if !retry.Wait(ctx) {
			return nil
		}
	}
	return nil
}

// session is one connection's life: declare, consume, and return when
// the broker or ctx ends it. consumed reports whether it got as far as
// consuming, which resets the backoff.
func (s *Source) session(ctx context.Context, sub picasso.EventSubscription, handle picasso.EventHandler) (consumed bool, err error) {
	conn, err := amqp091.DialConfig(s.url, amqp091.Config{Heartbeat: 10 * time.Second, Dial: amqp091.DefaultDial(10 * time.Second)})
	if err != nil {
		return false, s.scrub(err, "connect")
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return false, s.scrub(err, "open channel")
	}
	if err := declare(ch, sub); err != nil {
		return false, s.scrub(err, "declare")
	}
	if err := ch.Qos(max(sub.Prefetch, 1), 0, false); err != nil {
		return false, s.scrub(err, "set prefetch")
	}
	deliveries, err := ch.Consume(sub.Queue, "", false, false, false, false, nil)
	if err != nil {
		return false, s.scrub(err, "consume")
	}
	closed := conn.NotifyClose(make(chan *amqp091.Error, 1))

	var wg sync.WaitGroup
	for range max(sub.Workers, 1) {
		wg.Go(func() { s.work(ctx, deliveries, handle) })
	}
	select {
	case <-ctx.Done():
		// Closing the connection hands every unacknowledged message back
		// to the broker; workers stop at their next receive.
		conn.Close()
		wg.Wait()
		return true, nil
	case amqpErr := <-closed:
		wg.Wait()
		if amqpErr == nil {
			return true, errors.New("connection closed")
		}
		return true, s.scrub(amqpErr, "connection lost")
	}
}

// declare makes what the subscription consumes: the dead-letter exchange
// and queue, the queue itself (durable, dead-lettering into them), the
// bound exchanges with the publishers' flags, and the bindings.
func declare(ch *amqp091.Channel, sub picasso.EventSubscription) error {
	dead := sub.Queue + DeadLetterSuffix
	if err := ch.ExchangeDeclare(dead, amqp091.ExchangeFanout, true, false, false, false, nil); err != nil {
		return err
	}
	if _, err := ch.QueueDeclare(dead, true, false, false, false, nil); err != nil {
		return err
	}
	if err := ch.QueueBind(dead, "", dead, false, nil); err != nil {
		return err
	}
	args := amqp091.Table{"x-dead-letter-exchange": dead}
	if _, err := ch.QueueDeclare(sub.Queue, true, false, false, false, args); err != nil {
		return err
	}
	for _, b := range sub.Bindings {
		if err := ch.ExchangeDeclare(b.Exchange, amqp091.ExchangeTopic, sub.ExchangeDurable, false, false, false, nil); err != nil {
			return fmt.Errorf("exchange %s: %w", b.Exchange, err)
		}
		if err := ch.QueueBind(sub.Queue, b.RoutingKey, b.Exchange, false, nil); err != nil {
			return err
		}
	}
	return nil
}

// work handles deliveries until the channel closes or ctx ends. A message
// is acknowledged only after handle returned nil; poison is rejected
// without requeue (to the dead-letter exchange); any other failure is
// handed back for redelivery after a backoff, so a broken database does
// not spin the broker.
func (s *Source) work(ctx context.Context, deliveries <-chan amqp091.Delivery, handle picasso.EventHandler) {
	retry := s.backoff.Start()
	for {
		var d amqp091.Delivery
		var ok bool
		select {
		case <-ctx.Done():
			return
		case d, ok = <-deliveries:
			if !ok {
				return
			}
		}
		err := handle(ctx, message(&d))
		switch {
		case err == nil:
			retry = s.backoff.Start()
			d.Ack(false)
		case picasso.IsCode(err, picasso.EINVALID):
			d.Reject(false)
		default:
			if !retry.Wait(ctx) {
				return // the connection's close hands it back
			}
			d.Nack(false, true)
		}
	}
}

func message(d *amqp091.Delivery) *picasso.EventMessage {
	return &picasso.EventMessage{
		ID:          d.MessageId,
		Subject:     d.RoutingKey,
		Exchange:    d.Exchange,
		ContentType: d.ContentType,
		Timestamp:   d.Timestamp,
		Body:        d.Body,
	}
}
