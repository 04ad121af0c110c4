package local

import (
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
)

func TestCheckConfigRefusesLoaderAndRuntimeVariables(t *testing.T) {
	rt := &Runtime{}
	for _, key := range []string{"BASH_ENV", "bash-env", "ENV", "LD_PRELOAD", "ld_library_path", "PYTHONWARNINGS", "PYTHONPATH",
		"NODE_OPTIONS", "PERL5OPT", "RUBYOPT", "JAVA_TOOL_OPTIONS", "GCONV_PATH", "PATH", "IFS", "BROWSER",
		"METHOD", "ROUTE", "REQUEST_URL", "CALL_ID", "HEADER_X_OPENSTACK_REQUEST_ID", "header-x-trace"} {
		err := rt.CheckConfig(map[string]string{"fine": "1", key: "x"})
		if !picasso.IsCode(err, picasso.EINVALID) || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("config key %q: got %v, want EINVALID naming the key", key, err)
		}
	}
	if err := rt.CheckConfig(map[string]string{"db-host": "x", "SLEEP": "1", "LANG": "C", "HOME_PAGE": "x", "ENVIRONMENT": "prod"}); err != nil {
		t.Errorf("ordinary keys refused: %v", err)
	}
}

func TestReservedConfigStoredEarlierNeverReachesTheFunction(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	route := newRoute("/echo", "echo")
	route.Config = map[string]string{"BASH_ENV": "/tmp/evil", "LD_PRELOAD": "/tmp/evil.so", "METHOD": "spoofed", "KEPT": "yes"}
	out := invokeOK(t, rt, postCall(route, ""))
	for _, bad := range []string{"BASH_ENV", "LD_PRELOAD", "METHOD=spoofed"} {
		if strings.Contains(out, bad) {
			t.Errorf("the function got %s:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "KEPT=yes\n") || !strings.Contains(out, "METHOD=POST\n") {
		t.Errorf("ordinary config or the runtime's variables missing:\n%s", out)
	}
}
