package picasso

import (
	"context"
	"time"
)

// TriggerSourceType is where a trigger's messages come from.
type TriggerSourceType string

const (
	// SourceOpenStack is the cloud's own notification bus (oslo.messaging
	// on RabbitMQ), consumed once per deployment and fanned out.
	SourceOpenStack TriggerSourceType = "openstack"
	// SourceAMQP is a queue on a RabbitMQ broker the operator named.
	SourceAMQP TriggerSourceType = "amqp"
	// SourceNATS is a JetStream stream (durable consumer) or a core NATS
	// subject on a NATS server the operator named.
	SourceNATS TriggerSourceType = "nats"
)

// TriggerSource says what a trigger consumes. Brokers are named by the
// operator's configuration; a tenant never gives a URL.
type TriggerSource struct {
	Type   TriggerSourceType `json:"type"`
	Broker string            `json:"broker,omitempty"`
	// AMQP: the queue Picasso declares and consumes, optionally bound to
	// Exchange (a topic exchange Picasso declares) with RoutingKey.
	Exchange   string `json:"exchange,omitempty"`
	RoutingKey string `json:"routing_key,omitempty"`
	Queue      string `json:"queue,omitempty"`
	// NATS: Subject, and for JetStream the Stream and its Durable consumer.
	Subject string `json:"subject,omitempty"`
	Stream  string `json:"stream,omitempty"`
	Durable string `json:"durable,omitempty"`
}

// TriggerFilter selects the messages of a source that become calls. Both
// parts must match; an empty filter matches every message.
type TriggerFilter struct {
	// EventTypes are glob patterns ("compute.instance.*"; "*" matches any
	// run of characters) over the notification's event_type, the AMQP
	// routing key or the NATS subject. Empty matches every message.
	EventTypes []string `json:"event_types,omitempty"`
	// Payload maps a field path of the payload (segments separated by "/",
	// e.g. "nova_object.data/state") to the JSON value it must equal.
	Payload map[string]any `json:"payload,omitempty"`
}

// TriggerStatus is what the consumers observed; clients read it only.
type TriggerStatus struct {
	MessagesReceived int64
	CallsCreated     int64
	Failures         int64
	DeadLettered     int64
	LastError        string
	LastErrorAt      time.Time
}

// TriggerStatusDelta is what a consumer adds to a trigger's status.
type TriggerStatusDelta struct {
	MessagesReceived, CallsCreated, Failures, DeadLettered int64
	// LastError, when not empty, replaces the status's last error.
	LastError   string
	LastErrorAt time.Time
}

// Empty reports whether adding d would change nothing.
func (d TriggerStatusDelta) Empty() bool {
	return d == TriggerStatusDelta{}
}

// Trigger runs a route for every message of its source that its filter
// matches, through the durable call queue.
type Trigger struct {
	ID        string
	ProjectID string
	Name      string
	AppID     string
	// AppName is filled by the store from the app, for views and calls.
	AppName   string
	RoutePath string
	Source    TriggerSource
	Filter    TriggerFilter
	Enabled   bool
	// Admin is set when an administrator created or last changed the
	// trigger: it may name any broker object, and an openstack trigger
	// receives notifications of every project and of none.
	Admin     bool
	Status    TriggerStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TriggerStore keeps triggers. Deleting a route deletes its triggers.
type TriggerStore interface {
	// CreateTrigger inserts t, giving it an ID and timestamps; ENOTFOUND
	// when the route does not exist, ECONFLICT when the project has the
	// name, EQUOTA (a *LimitError) when the project already has limit
	// triggers (limit may be Unlimited). The count and the insert are one
	// transaction under the project's quota lock.
	CreateTrigger(ctx context.Context, t *Trigger, limit int64) error
	GetTrigger(ctx context.Context, projectID, id string) (*Trigger, error)
	// ListTriggers returns one page of the project's triggers ordered by ID.
	ListTriggers(ctx context.Context, projectID string, page Page) ([]*Trigger, error)
	// UpdateTrigger writes every client field, Admin and UpdatedAt.
	UpdateTrigger(ctx context.Context, t *Trigger) error
	DeleteTrigger(ctx context.Context, projectID, id string) error
	// EnabledTriggers returns the enabled triggers of every project: what
	// the consumers should be consuming.
	EnabledTriggers(ctx context.Context) ([]*Trigger, error)
	// AddTriggerStatus adds d to the status of trigger id (gone: no-op).
	AddTriggerStatus(ctx context.Context, id string, d TriggerStatusDelta) error
}

// EventMessage is one message from a broker, in the broker-neutral form
// the trigger fan-out works on.
type EventMessage struct {
	// ID identifies the message across redeliveries: the AMQP message-id
	// property, the JetStream stream sequence or Nats-Msg-Id header.
	// Empty when the broker gave none.
	ID string
	// Subject is the AMQP routing key or the NATS subject.
	Subject     string
	Exchange    string
	ContentType string
	Timestamp   time.Time
	Body        []byte
}

// EventHandler decides about one message. nil: the message is done and is
// acknowledged. An EINVALID error: the message can never succeed (poison)
// and is dead-lettered. Any other error: it is handed back to the broker
// for a later redelivery.
type EventHandler func(ctx context.Context, msg *EventMessage) error

// EventBinding routes an exchange's messages to a queue.
type EventBinding struct {
	Exchange   string
	RoutingKey string
}

// EventSubscription is what one consumer consumes. AMQP uses Queue and
// Bindings; NATS uses Subject, Stream and Durable (no Stream: core NATS).
type EventSubscription struct {
	Queue    string
	Bindings []EventBinding
	// ExchangeDurable declares the bound exchanges durable; it must match
	// how the publisher declares them.
	ExchangeDurable bool

	Subject string
	Stream  string
	Durable string

	// Prefetch bounds the messages handed to this consumer and not yet
	// acknowledged (AMQP prefetch, JetStream MaxAckPending), and so what a
	// slow function lets pile up in memory.
	Prefetch int
	// Workers is how many messages are handled at once (at most Prefetch).
	Workers int
	// Report, when set, is told of each connection or declaration failure;
	// the consumer retries after it with backoff.
	Report func(err error)
}

// EventSource is one broker connection. Every broker adapter implements
// it the same way: Consume declares what sub needs, hands each message to
// handle, acknowledges only after handle returned nil, dead-letters on
// EINVALID, and reconnects with backoff when the broker goes away, until
// ctx ends. Errors never carry the broker's credentials.
type EventSource interface {
	Consume(ctx context.Context, sub EventSubscription, handle EventHandler) error
}

// Bounds of trigger fields.
const (
	MaxTriggerName       = 255
	MaxBrokerObjectName  = 255
	MaxTriggerEventTypes = 50
	MaxTriggerPayloadKey = 20
)

// TenantBrokerPrefix is the prefix that a project's queue, exchange,
// routing key, subject, stream and durable names must have unless an
// administrator creates the trigger, so that one project can neither
// consume nor bind another's traffic.
func TenantBrokerPrefix(projectID string) string {
	return "picasso." + projectID + "."
}

// GlobMatch reports whether s matches pattern, where "*" matches any run
// of characters (dots included) and every other character itself. It
// backtracks only to the last star, so it is O(len(pattern)·len(s)).
func GlobMatch(pattern, s string) bool {
	p, i := 0, 0
	star, resume := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, resume = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			resume++
			p, i = star+1, resume
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// AdminChecker is implemented by an Authorizer that can tell which
// identities act on every project. Triggers ask it: administrators may
// name any broker object and see every project's notifications.
type AdminChecker interface {
	IsAdmin(id *Identity) bool
}
