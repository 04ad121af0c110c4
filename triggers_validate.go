package picasso

import (
	"encoding/json"
	"strings"
)

// TenantNamePrefix is the prefix of a project's JetStream stream and
// durable consumer names, which may not contain dots.
func TenantNamePrefix(projectID string) string {
	return "picasso_" + projectID + "_"
}

// Validate checks the fields of a trigger a client may set. Unless
// t.Admin, every broker object it names must carry the project's prefix.
func (t *Trigger) Validate() error {
	switch {
	case t.Name == "":
		return Errorf(EINVALID, "Missing trigger name")
	case len(t.Name) > MaxTriggerName:
		return Errorf(EINVALID, "Trigger name must be %d characters or less", MaxTriggerName)
	case strings.ContainsFunc(t.Name, isControl):
		return Errorf(EINVALID, "Trigger name must not contain control characters")
	}
	if err := ValidateRoutePath(t.RoutePath); err != nil {
		return err
	}
	if err := t.validateSource(); err != nil {
		return err
	}
	return t.Filter.validate()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func (t *Trigger) validateSource() error {
	src := &t.Source
	for _, f := range []struct{ name, value string }{
		{"broker", src.Broker}, {"exchange", src.Exchange}, {"routing_key", src.RoutingKey}, {"queue", src.Queue},
		{"subject", src.Subject}, {"stream", src.Stream}, {"durable", src.Durable},
	} {
		if len(f.value) > MaxBrokerObjectName {
			return Errorf(EINVALID, "Trigger source %s must be %d characters or less", f.name, MaxBrokerObjectName)
		}
		if strings.ContainsFunc(f.value, func(r rune) bool { return isControl(r) || r == ' ' }) {
			return Errorf(EINVALID, "Trigger source %s must not contain white space or control characters", f.name)
		}
	}
	switch src.Type {
	case SourceOpenStack:
		if *src != (TriggerSource{Type: SourceOpenStack}) {
			return Errorf(EINVALID, "An openstack source takes no other field: the deployment's notification bus is configured by the operator")
		}
		return nil
	case SourceAMQP:
		if src.Subject != "" || src.Stream != "" || src.Durable != "" {
			return Errorf(EINVALID, "An amqp source takes broker, exchange, routing_key and queue")
		}
		if src.Queue == "" {
			return Errorf(EINVALID, "An amqp source needs a queue")
		}
		if src.RoutingKey != "" && src.Exchange == "" {
			return Errorf(EINVALID, "An amqp source with a routing_key needs an exchange")
		}
		if err := t.confined("queue", src.Queue, TenantBrokerPrefix); err != nil {
			return err
		}
		if src.Exchange != "" {
			return t.confined("exchange", src.Exchange, TenantBrokerPrefix)
		}
	case SourceNATS:
		if src.Exchange != "" || src.RoutingKey != "" || src.Queue != "" {
			return Errorf(EINVALID, "A nats source takes broker, subject, stream and durable")
		}
		if src.Subject == "" {
			return Errorf(EINVALID, "A nats source needs a subject")
		}
		if src.Durable != "" && src.Stream == "" {
			return Errorf(EINVALID, "A nats source with a durable consumer needs a stream")
		}
		if err := t.confined("subject", src.Subject, TenantBrokerPrefix); err != nil {
			return err
		}
		for _, f := range []struct{ name, value string }{{"stream", src.Stream}, {"durable", src.Durable}} {
			if f.value == "" {
				continue
			}
			if strings.ContainsAny(f.value, ".*>/\\") {
				return Errorf(EINVALID, "Trigger source %s must not contain '.', '*', '>' or slashes", f.name)
			}
			if err := t.confined(f.name, f.value, TenantNamePrefix); err != nil {
				return err
			}
		}
	default:
		return Errorf(EINVALID, "Invalid trigger source type %q: must be %q, %q or %q",
			src.Type, SourceOpenStack, SourceAMQP, SourceNATS)
	}
	if src.Broker == "" {
		return Errorf(EINVALID, "An %s source needs a broker name", src.Type)
	}
	return nil
}

// confined refuses a broker object name outside the project's prefix,
// unless an administrator names it.
func (t *Trigger) confined(field, name string, prefix func(string) string) error {
	if t.Admin {
		return nil
	}
	want := prefix(t.ProjectID)
	// The prefix alone names nothing of the project's; a wildcard right
	// after it is fine (it stays within the project).
	if !strings.HasPrefix(name, want) || len(name) == len(want) {
		return Errorf(EINVALID, "Trigger source %s %q must start with %q (only administrators may name others)",
			field, name, want)
	}
	return nil
}

func (f *TriggerFilter) validate() error {
	if len(f.EventTypes) > MaxTriggerEventTypes {
		return Errorf(EINVALID, "A trigger filter takes %d event_types or less", MaxTriggerEventTypes)
	}
	for _, p := range f.EventTypes {
		if p == "" || len(p) > MaxBrokerObjectName {
			return Errorf(EINVALID, "Filter event_types must be 1 to %d characters", MaxBrokerObjectName)
		}
	}
	if len(f.Payload) > MaxTriggerPayloadKey {
		return Errorf(EINVALID, "A trigger filter takes %d payload fields or less", MaxTriggerPayloadKey)
	}
	for path, value := range f.Payload {
		if path == "" || len(path) > MaxBrokerObjectName {
			return Errorf(EINVALID, "Filter payload field paths must be 1 to %d characters", MaxBrokerObjectName)
		}
		switch value.(type) {
		case string, bool, nil, json.Number, float64:
		default:
			return Errorf(EINVALID, "Filter payload field %q must equal a string, number, boolean or null", path)
		}
	}
	return nil
}
