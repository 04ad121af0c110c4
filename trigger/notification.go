package trigger

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/picasso-faas/picasso"
)

// Notification is an OpenStack notification as a function receives it:
// the oslo.messaging message without its request context, apart from the
// allow-listed fields in Context.
type Notification struct {
	MessageID   string          `json:"message_id"`
	EventType   string          `json:"event_type"`
	PublisherID string          `json:"publisher_id"`
	Priority    string          `json:"priority,omitempty"`
	Timestamp   string          `json:"timestamp"`
	Payload     json.RawMessage `json:"payload"`
	Context     RequestContext  `json:"context"`

	// owner is the project the notification belongs to under ProjectRule;
	// ownerKnown is false when it belongs to none (absent or disagreeing).
	owner      string
	ownerKnown bool
	payload    any
}

// RequestContext is the part of the notifying request's context a
// function may see. It is an allow-list: tokens, service catalogs and
// every other _context_* key never leave Picasso.
type RequestContext struct {
	ProjectID string   `json:"project_id,omitempty"`
	UserID    string   `json:"user_id,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	IsAdmin   bool     `json:"is_admin"`
}

// osloEnvelope is the AMQP body of oslo.messaging's "version 2.0"
// messages: the notification JSON-encoded once more, as a string.
type osloEnvelope struct {
	Version string  `json:"oslo.version"`
	Message *string `json:"oslo.message"`
}

// osloTimestamp is how oslo writes timestamps: UTC without a zone, with
// a space between date and time.
const osloTimestamp = "2006-01-02 15:04:05.999999"

// DecodeNotification decodes an oslo.messaging notification body. An
// error is EINVALID: the message can never be understood (poison).
func DecodeNotification(body []byte) (*Notification, error) {
	var env osloEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, picasso.Wrap(picasso.EINVALID, err, "Notification is not JSON")
	}
	inner := body
	if env.Message != nil {
		if env.Version != "2.0" {
			return nil, picasso.Errorf(picasso.EINVALID, "Unsupported oslo.messaging envelope version %q", env.Version)
		}
		inner = []byte(*env.Message)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(inner, &fields); err != nil {
		return nil, picasso.Wrap(picasso.EINVALID, err, "Notification message is not a JSON object")
	}
	n := &Notification{Payload: fields["payload"]}
	for key, dst := range map[string]*string{
		"message_id": &n.MessageID, "event_type": &n.EventType, "publisher_id": &n.PublisherID,
		"priority": &n.Priority, "timestamp": &n.Timestamp,
	} {
		// A field of another type stays empty: only event_type is required.
		json.Unmarshal(fields[key], dst)
	}
	if n.EventType == "" {
		return nil, picasso.Errorf(picasso.EINVALID, "Notification has no event_type")
	}
	if n.MessageID == "" {
		// Every oslo message has one; _unique_id is the next best thing.
		json.Unmarshal(fields["_unique_id"], &n.MessageID)
	}
	if len(n.Payload) == 0 {
		n.Payload = json.RawMessage("null")
	}
	dec := json.NewDecoder(bytes.NewReader(n.Payload))
	dec.UseNumber()
	if err := dec.Decode(&n.payload); err != nil {
		return nil, picasso.Wrap(picasso.EINVALID, err, "Notification payload is not JSON")
	}
	if t, err := time.Parse(osloTimestamp, n.Timestamp); err == nil {
		n.Timestamp = t.UTC().Format(time.RFC3339Nano)
	}
	n.Context = allowedContext(fields)
	n.owner, n.ownerKnown = ProjectRule(n.payload, fields)
	return n, nil
}

// allowedContext copies the allow-listed _context_* fields.
func allowedContext(fields map[string]json.RawMessage) RequestContext {
	var c RequestContext
	str := func(keys ...string) string {
		for _, k := range keys {
			var s string
			if json.Unmarshal(fields[k], &s) == nil && s != "" {
				return s
			}
		}
		return ""
	}
	c.ProjectID = str("_context_project_id", "_context_tenant")
	c.UserID = str("_context_user_id", "_context_user")
	c.RequestID = str("_context_request_id")
	json.Unmarshal(fields["_context_roles"], &c.Roles)
	json.Unmarshal(fields["_context_is_admin"], &c.IsAdmin)
	return c
}

// ProjectRule decides which project a notification belongs to. These
// fields may name a project: the payload's tenant_id and project_id, the
// same two inside a versioned payload's "nova_object.data", and the
// context's _context_project_id and _context_tenant. The notification
// belongs to project P only when at least one of them is present and
// every present one says P. When none is present, or two disagree (an
// administrator acting on a tenant's resource, or a forgery), it belongs
// to no project and reaches administrators' triggers only. A present
// field that is not a string counts as disagreeing.
func ProjectRule(payload any, fields map[string]json.RawMessage) (project string, ok bool) {
	var seen []any
	if p, isObject := payload.(map[string]any); isObject {
		seen = appendPresent(seen, p["tenant_id"], p["project_id"])
		if data, isObject := p["nova_object.data"].(map[string]any); isObject {
			seen = appendPresent(seen, data["tenant_id"], data["project_id"])
		}
	}
	for _, key := range []string{"_context_project_id", "_context_tenant"} {
		var v any
		if raw, present := fields[key]; present && json.Unmarshal(raw, &v) == nil {
			seen = appendPresent(seen, v)
		}
	}
	if len(seen) == 0 {
		return "", false
	}
	first, isString := seen[0].(string)
	if !isString {
		return "", false
	}
	for _, v := range seen[1:] {
		if s, isString := v.(string); !isString || s != first {
			return "", false
		}
	}
	return first, true
}

// appendPresent appends the values that name something: not absent,
// null or the empty string.
func appendPresent(seen []any, values ...any) []any {
	for _, v := range values {
		if v == nil || v == "" {
			continue
		}
		seen = append(seen, v)
	}
	return seen
}

// visibleTo reports whether a trigger of project (an administrator's when
// admin) may receive the notification.
func (n *Notification) visibleTo(project string, admin bool) bool {
	return admin || n.ownerKnown && n.owner == project
}
