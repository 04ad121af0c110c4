package trigger

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/picasso-faas/picasso"
)

// decodeJSON decodes a message body, numbers kept exact.
func decodeJSON(body []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, picasso.Wrap(picasso.EINVALID, err, "Message is not JSON")
	}
	if dec.More() {
		return nil, picasso.Errorf(picasso.EINVALID, "Message is not JSON: trailing data after the value")
	}
	return v, nil
}

func (m *Manager) checkSize(body []byte) error {
	if len(body) > m.cfg.MaxMessageBytes {
		return picasso.Errorf(picasso.EINVALID, "Message of %d bytes is over the limit of %d", len(body), m.cfg.MaxMessageBytes)
	}
	return nil
}

// messageHandler turns the messages of a tenant's amqp or nats trigger
// into calls. A message that is over the size limit or not JSON is
// poison: it is dead-lettered and counted.
func (m *Manager) messageHandler(t *picasso.Trigger) picasso.EventHandler {
	return func(ctx context.Context, msg *picasso.EventMessage) error {
		m.status.received(t.ID)
		data, err := m.decodeMessage(msg.Body)
		if err != nil {
			m.status.deadLettered(t.ID, err)
			return err
		}
		if !Matches(&t.Filter, msg.Subject, data) {
			return nil
		}
		id := messageID(msg)
		body, err := json.Marshal(newMessageEvent(t, msg, id))
		if err != nil {
			return picasso.Wrap(picasso.EINTERNAL, err, "Could not encode the event")
		}
		err = m.enqueue(ctx, t, IdempotencyKey(t.ID, id), body)
		if picasso.IsCode(err, picasso.EINVALID) {
			m.status.deadLettered(t.ID, err)
		}
		return err
	}
}

func (m *Manager) decodeMessage(body []byte) (any, error) {
	if err := m.checkSize(body); err != nil {
		return nil, err
	}
	return decodeJSON(body)
}

// handleNotification fans one OpenStack notification out to every
// openstack trigger that may see it (ProjectRule) and whose filter
// matches. It returns an error, and so has the notification redelivered,
// when any call could not be recorded for a reason that may pass; the
// calls already recorded are not made again, thanks to their keys.
func (m *Manager) handleNotification(ctx context.Context, msg *picasso.EventMessage) error {
	if err := m.checkSize(msg.Body); err != nil {
		m.poisonNotification(ctx, err)
		return err
	}
	n, err := DecodeNotification(msg.Body)
	if err != nil {
		m.poisonNotification(ctx, err)
		return err
	}
	if n.MessageID == "" {
		n.MessageID = messageID(msg)
	}
	var retry error
	for _, t := range m.notificationTriggers() {
		if !n.visibleTo(t.ProjectID, t.Admin) {
			continue
		}
		m.status.received(t.ID)
		if !Matches(&t.Filter, n.EventType, n.payload) {
			continue
		}
		body, err := json.Marshal(notificationEvent{Source: picasso.SourceOpenStack, Trigger: triggerRef{t.ID, t.Name}, Notification: n})
		if err != nil {
			return picasso.Wrap(picasso.EINTERNAL, err, "Could not encode the event")
		}
		// A call that can never be recorded (EINVALID) is counted on its
		// trigger and not retried; the other triggers still get theirs.
		if err := m.enqueue(ctx, t, IdempotencyKey(t.ID, n.MessageID), body); err != nil && !picasso.IsCode(err, picasso.EINVALID) {
			retry = err
		}
	}
	return retry
}

func (m *Manager) poisonNotification(ctx context.Context, err error) {
	m.metrics.poisonNotifications.Inc()
	m.logger.WarnContext(ctx, "notification dead-lettered", "error", err)
}

// enqueue records the call; the broker message is acknowledged only
// after it returns nil. Errors other than EINVALID (which cannot pass)
// become EUNAVAILABLE, so that the message is redelivered.
func (m *Manager) enqueue(ctx context.Context, t *picasso.Trigger, key string, body []byte) error {
	_, created, err := m.queue.Enqueue(ctx, newCall(t, key, body))
	if err != nil {
		if ctx.Err() != nil {
			// Stopping: the message goes back to the broker unacknowledged.
			return picasso.Wrap(picasso.EUNAVAILABLE, err, "Consumer stopped")
		}
		m.status.failed(t.ID, err)
		if picasso.IsCode(err, picasso.EINVALID) || picasso.IsCode(err, picasso.ETOOLARGE) {
			return picasso.Wrap(picasso.EINVALID, err, "%s", picasso.ErrorMessage(err))
		}
		return picasso.Wrap(picasso.EUNAVAILABLE, err, "Could not record the call")
	}
	if created {
		m.status.created(t.ID)
		m.metrics.callsCreated.Inc()
	}
	return nil
}
