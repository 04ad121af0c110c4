package trigger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/picasso-faas/picasso"
)

// triggerRef names the trigger in the event a function receives.
type triggerRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// notificationEvent is the body of a call made for an OpenStack
// notification.
type notificationEvent struct {
	Source  picasso.TriggerSourceType `json:"source"`
	Trigger triggerRef                `json:"trigger"`
	*Notification
}

// messageEvent is the body of a call made for an AMQP or NATS message:
// the message itself (JSON) as data, with where it came from.
type messageEvent struct {
	Source      picasso.TriggerSourceType `json:"source"`
	Trigger     triggerRef                `json:"trigger"`
	MessageID   string                    `json:"message_id"`
	Exchange    string                    `json:"exchange,omitempty"`
	RoutingKey  string                    `json:"routing_key,omitempty"`
	Subject     string                    `json:"subject,omitempty"`
	ContentType string                    `json:"content_type,omitempty"`
	Timestamp   string                    `json:"timestamp,omitempty"`
	Data        json.RawMessage           `json:"data"`
}

func newMessageEvent(t *picasso.Trigger, msg *picasso.EventMessage, id string) messageEvent {
	ev := messageEvent{Source: t.Source.Type, Trigger: triggerRef{t.ID, t.Name}, MessageID: id,
		ContentType: msg.ContentType, Data: msg.Body}
	if t.Source.Type == picasso.SourceAMQP {
		ev.Exchange, ev.RoutingKey = msg.Exchange, msg.Subject
	} else {
		ev.Subject = msg.Subject
	}
	if !msg.Timestamp.IsZero() {
		ev.Timestamp = msg.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	return ev
}

// messageID is the identity of a message across redeliveries: the
// broker's, or else the SHA-256 of the body, so that a redelivered
// message without an id still maps to the same call (two distinct
// messages with identical bodies and no id then make one call).
func messageID(msg *picasso.EventMessage) string {
	if msg.ID != "" {
		return msg.ID
	}
	sum := sha256.Sum256(msg.Body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// IdempotencyKey is the key of the call trigger t makes for message id:
// the same message redelivered, to this replica or another, maps to the
// same key and so to the same call. It is hashed to a fixed length.
func IdempotencyKey(triggerID, messageID string) string {
	sum := sha256.Sum256([]byte(triggerID + "\x00" + messageID))
	return "event-" + hex.EncodeToString(sum[:])
}

// newCall is the call record trigger t makes with body as the request.
func newCall(t *picasso.Trigger, key string, body []byte) *picasso.CallRecord {
	return &picasso.CallRecord{
		ProjectID:      t.ProjectID,
		AppID:          t.AppID,
		AppName:        t.AppName,
		RoutePath:      t.RoutePath,
		Trigger:        picasso.TriggerEvent,
		IdempotencyKey: key,
		Request: picasso.CallRequest{
			Method: http.MethodPost,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   body,
		},
	}
}
