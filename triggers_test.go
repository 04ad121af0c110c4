package picasso

import "testing"

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"compute.instance.*", "compute.instance.create.end", true},
		{"compute.instance.*", "compute.instance", false},
		{"*", "", true},
		{"*.end", "volume.delete.end", true},
		{"*.end", "volume.delete.start", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXcYYb", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	} {
		if got := GlobMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("GlobMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestTriggerSourcesAreConfinedToTheProject(t *testing.T) {
	const p, other = "aaaa1111", "bbbb2222"
	own, foreign := TenantBrokerPrefix(p), TenantBrokerPrefix(other)
	for _, tc := range []struct {
		name  string
		src   TriggerSource
		admin bool
		ok    bool
	}{
		{"own queue", TriggerSource{Type: SourceAMQP, Broker: "b", Queue: own + "q"}, false, true},
		{"own queue and exchange", TriggerSource{Type: SourceAMQP, Broker: "b", Queue: own + "q", Exchange: own + "x", RoutingKey: "#"}, false, true},
		{"other project's queue", TriggerSource{Type: SourceAMQP, Broker: "b", Queue: foreign + "q"}, false, false},
		{"own queue on another's exchange", TriggerSource{Type: SourceAMQP, Broker: "b", Queue: own + "q", Exchange: foreign + "x"}, false, false},
		{"a shared exchange", TriggerSource{Type: SourceAMQP, Broker: "b", Queue: own + "q", Exchange: "amq.topic"}, false, false},
		{"the bare prefix", TriggerSource{Type: SourceAMQP, Broker: "b", Queue: own}, false, false},
		{"a prefix look-alike", TriggerSource{Type: SourceAMQP, Broker: "b", Queue: "picasso." + p + "x.q"}, false, false},
		{"admin names any", TriggerSource{Type: SourceAMQP, Broker: "b", Queue: "notifications.info"}, true, true},
		{"own subject", TriggerSource{Type: SourceNATS, Broker: "b", Subject: own + ">"}, false, true},
		{"other's subject", TriggerSource{Type: SourceNATS, Broker: "b", Subject: foreign + ">"}, false, false},
		{"wildcard subject", TriggerSource{Type: SourceNATS, Broker: "b", Subject: ">"}, false, false},
		{"own stream", TriggerSource{Type: SourceNATS, Broker: "b", Subject: own + "e", Stream: TenantNamePrefix(p) + "s"}, false, true},
		{"other's stream", TriggerSource{Type: SourceNATS, Broker: "b", Subject: own + "e", Stream: TenantNamePrefix(other) + "s"}, false, false},
		{"other's durable", TriggerSource{Type: SourceNATS, Broker: "b", Subject: own + "e", Stream: TenantNamePrefix(p) + "s", Durable: TenantNamePrefix(other) + "d"}, false, false},
		{"openstack", TriggerSource{Type: SourceOpenStack}, false, true},
		{"openstack with a broker", TriggerSource{Type: SourceOpenStack, Broker: "b"}, false, false},
		{"no broker", TriggerSource{Type: SourceAMQP, Queue: own + "q"}, false, false},
		{"unknown type", TriggerSource{Type: "kafka"}, false, false},
	} {
		tr := &Trigger{ProjectID: p, Name: "t", RoutePath: "/r", Source: tc.src, Admin: tc.admin}
		err := tr.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !IsCode(err, EINVALID) {
			t.Errorf("%s: %v is not EINVALID", tc.name, err)
		}
	}
}
