// Package brokertest gives tests the real brokers: the shared RabbitMQ
// and NATS servers (each test uses names of its own and removes them), and
// private servers on free ports for tests that stop and restart a broker,
// which must never touch the shared ones.
package brokertest

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/picasso-faas/picasso/internal/testenv"
)

// AMQPURL is the shared RabbitMQ (PICASSO_TEST_AMQP, default guest on
// 127.0.0.1:5672); the test ends as unavailable when it does not answer.
func AMQPURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("PICASSO_TEST_AMQP")
	if url == "" {
		url = "amqp://guest:guest@127.0.0.1:5672/"
	}
	conn, err := amqp091.Dial(url)
	if err != nil {
		testenv.Unavailable(t, "RabbitMQ: %v", err)
	}
	conn.Close()
	return url
}

// NATSURL is the shared NATS server with JetStream (PICASSO_TEST_NATS,
// default 127.0.0.1:4222).
func NATSURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("PICASSO_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		testenv.Unavailable(t, "NATS: %v", err)
	}
	nc.Close()
	return url
}

// Unique returns prefix followed by random hex, for names no other test
// (or other run) uses.
func Unique(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// AMQPChannel opens a channel in confirm mode for the test's own
// publishing and checks.
func AMQPChannel(t testing.TB, url string) *amqp091.Channel {
	t.Helper()
	conn, err := amqp091.Dial(url)
	if err != nil {
		t.Fatalf("amqp dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("amqp channel: %v", err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatalf("amqp confirm mode: %v", err)
	}
	return ch
}

// DeleteAMQP removes the queues and exchanges when the test ends, on a
// connection of its own (the test's may be closed by then).
func DeleteAMQP(t testing.TB, url string, queues, exchanges []string) {
	t.Cleanup(func() {
		conn, err := amqp091.Dial(url)
		if err != nil {
			return
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			return
		}
		for _, q := range queues {
			ch.QueueDelete(q, false, false, false)
		}
		for _, e := range exchanges {
			ch.ExchangeDelete(e, false, false)
		}
	})
}

// WaitQueue polls until the queue exists (a consumer declared it) and
// has consumers, so that what the test publishes next is consumed.
func WaitQueue(t testing.TB, url, queue string, consumers int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if n, err := queueState(url, queue); err == nil && n.Consumers >= consumers {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("queue %s has no %d consumers after 30 s", queue, consumers)
}

// QueueState reports the queue's ready messages and consumers.
func QueueState(t testing.TB, url, queue string) amqp091.Queue {
	t.Helper()
	q, err := queueState(url, queue)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q
}

func queueState(url, queue string) (amqp091.Queue, error) {
	conn, err := amqp091.Dial(url)
	if err != nil {
		return amqp091.Queue{}, err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return amqp091.Queue{}, err
	}
	return ch.QueueDeclarePassive(queue, true, false, false, false, nil)
}

// waitPort polls until something accepts connections on addr.
func waitPort(addr string, deadline time.Duration) bool {
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		if listening(addr) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}
