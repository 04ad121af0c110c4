// Package nats is the NATS adapter of picasso.EventSource, on the
// maintained client github.com/nats-io/nats.go and its jetstream package.
// A subscription with a stream consumes it through a durable pull
// consumer (explicit acks, MaxAckPending bound, Term for poison); one
// without consumes the core NATS subject in a queue group, which the
// protocol delivers at most once. Each consumer has its own connection,
// which the client re-establishes by itself with backoff.
package nats

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/backoff"
)

// DefaultAckWait is how long JetStream waits for an acknowledgement
// before it redelivers, e.g. after a replica died holding a message;
// recording a call takes milliseconds.
const DefaultAckWait = 30 * time.Second

// Source is one NATS server (or cluster) of the operator's configuration.
type Source struct {
	name    string
	url     string
	secret  string
	logger  *slog.Logger
	backoff backoff.Policy
	// AckWait is the durable consumers' AckWait (DefaultAckWait).
	AckWait time.Duration
}

var _ picasso.EventSource = (*Source)(nil)

// New returns the broker name at rawURL (nats:// or tls://). It does not
// connect: consumers do, each on its own connection.
func New(name, rawURL string, logger *slog.Logger) (*Source, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
		return nil, picasso.Errorf(picasso.EINVALID, "Broker %s: not a nats:// or tls:// URL", name)
	}
	secret, ok := u.User.Password()
	if !ok {
		secret = u.User.Username() // a token given as the user part
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Source{name: name, url: rawURL, secret: secret, logger: logger, backoff: backoff.Default,
		AckWait: DefaultAckWait}, nil
}

func (s *Source) scrub(err error, doing string) error {
	msg := err.Error()
	if s.secret != "" {
		msg = strings.ReplaceAll(msg, s.secret, "***")
	}
	return picasso.Errorf(picasso.EUNAVAILABLE, "Broker %s: %s: %s", s.name, doing, msg)
}

// Consume sets the subscription up, retrying with backoff until it
// succeeds, and consumes until ctx ends; see picasso.EventSource.
func (s *Source) Consume(ctx context.Context, sub picasso.EventSubscription, handle picasso.EventHandler) error {
	report := func(err error) {
		s.logger.WarnContext(ctx, "nats consumer", "broker", s.name, "subject", sub.Subject, "error", err)
		if sub.Report != nil {
			sub.Report(err)
		}
	}
	nc, err := natsgo.Connect(s.url,
		natsgo.Name("picasso"),
		natsgo.RetryOnFailedConnect(true),
		natsgo.MaxReconnects(-1),
		natsgo.ReconnectWait(time.Second),
		natsgo.ReconnectJitter(500*time.Millisecond, time.Second),
		natsgo.DisconnectErrHandler(func(_ *natsgo.Conn, err error) {
			if err != nil {
				report(s.scrub(err, "disconnected"))
			}
		}),
	)
	if err != nil {
		return s.scrub(err, "connect")
	}
	defer nc.Close()

	jobs := make(chan job, max(sub.Prefetch, 1))
	var wg sync.WaitGroup
	for range max(sub.Workers, 1) {
		wg.Go(func() { s.work(ctx, jobs, handle) })
	}
	defer wg.Wait()

	retry := s.backoff.Start()
	for {
		stop, err := s.subscribe(ctx, nc, sub, jobs)
		if err == nil {
			<-ctx.Done()
			stop()
			return nil
		}
		report(err)
		if !retry.Wait(ctx) {
			return nil
		}
	}
}

// job is one message and what to tell the broker about it.
type job struct {
	msg     *picasso.EventMessage
	ack     func() error
	poison  func() error
	requeue func(delay time.Duration) error
}

func (s *Source) subscribe(ctx context.Context, nc *natsgo.Conn, sub picasso.EventSubscription, jobs chan<- job) (stop func(), err error) {
	if sub.Stream == "" {
		qs, err := nc.QueueSubscribe(sub.Subject, sub.Durable, func(m *natsgo.Msg) {
			// Core NATS has no acknowledgement: what fails is lost.
			none := func() error { return nil }
			enqueue(ctx, jobs, job{msg: coreMessage(m), ack: none, poison: none, requeue: func(time.Duration) error { return nil }})
		})
		if err != nil {
			return nil, s.scrub(err, "subscribe")
		}
		return func() { qs.Drain() }, nil
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, s.scrub(err, "jetstream")
	}
	stream, err := js.Stream(ctx, sub.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: sub.Stream, Subjects: []string{sub.Subject},
			Storage: jetstream.FileStorage})
	}
	if err != nil {
		return nil, s.scrub(err, "stream "+sub.Stream)
	}
	// The filter keeps a consumer to its subject even when the stream
	// (made by someone else) holds more.
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       sub.Durable,
		FilterSubject: sub.Subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.AckWait,
		MaxAckPending: max(sub.Prefetch, 1),
	})
	if err != nil {
		return nil, s.scrub(err, "consumer "+sub.Durable)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		enqueue(ctx, jobs, job{msg: streamMessage(sub.Stream, m), ack: m.Ack, poison: m.Term, requeue: m.NakWithDelay})
	}, jetstream.PullMaxMessages(max(sub.Prefetch, 1)), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		s.logger.DebugContext(ctx, "jetstream consume", "broker", s.name, "error", err)
	}))
	if err != nil {
		return nil, s.scrub(err, "consume")
	}
	return cc.Stop, nil
}

// enqueue hands j to the workers; the client calls back one message at a
// time, so a full jobs channel holds the next pull back. Once ctx ended
// the message goes straight back to the broker.
func enqueue(ctx context.Context, jobs chan<- job, j job) {
	select {
	case jobs <- j:
	case <-ctx.Done():
		j.requeue(0)
	}
}

// work handles jobs until ctx ends, then hands back what is still queued.
func (s *Source) work(ctx context.Context, jobs chan job, handle picasso.EventHandler) {
	retry := s.backoff.Start()
	for {
		var j job
		select {
		case j = <-jobs:
		case <-ctx.Done():
			for {
				select {
				case j := <-jobs:
					j.requeue(0)
				default:
					return
				}
			}
		}
		err := handle(ctx, j.msg)
		switch {
		case err == nil:
			retry = s.backoff.Start()
			j.ack()
		case picasso.IsCode(err, picasso.EINVALID):
			j.poison()
		default:
			retry.Wait(ctx)
			j.requeue(0)
		}
	}
}

func streamMessage(stream string, m jetstream.Msg) *picasso.EventMessage {
	msg := &picasso.EventMessage{Subject: m.Subject(), Body: m.Data(), ContentType: m.Headers().Get("Content-Type")}
	msg.ID = m.Headers().Get(natsgo.MsgIdHdr)
	if meta, err := m.Metadata(); err == nil {
		msg.Timestamp = meta.Timestamp
		if msg.ID == "" {
			// The stream sequence is the message's identity in the stream,
			// the same on every redelivery.
			msg.ID = stream + ":" + strconv.FormatUint(meta.Sequence.Stream, 10)
		}
	}
	return msg
}

func coreMessage(m *natsgo.Msg) *picasso.EventMessage {
	return &picasso.EventMessage{ID: m.Header.Get(natsgo.MsgIdHdr), Subject: m.Subject, Body: m.Data,
		ContentType: m.Header.Get("Content-Type")}
}
