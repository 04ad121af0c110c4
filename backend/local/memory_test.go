package local

import (
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
)

// hogScript holds 32 MB in a shell variable.
const hogScript = `x=$(head -c 32000000 /dev/zero | tr '\0' a); echo ${#x}`

func TestMemoryIsAnAddressSpaceLimitWithoutSandbox(t *testing.T) {
	rt, _ := newRuntime(t, Options{Sandbox: SandboxNone, FunctionsDir: functionsDir(t, map[string]string{
		"limits": "ulimit -v",
		"hog":    hogScript,
	})})
	if !rt.limitMemory {
		t.Fatal("/bin/sh cannot set an address-space limit here")
	}

	limits := newRoute("/limits", "limits")
	limits.Memory = 64
	if got := invokeOK(t, rt, postCall(limits, "")); strings.TrimSpace(got) != "65536" {
		t.Errorf("ulimit -v in the function: %q, want 65536 (KiB)", got)
	}

	hog := newRoute("/hog", "hog")
	hog.Memory = 256
	if got := invokeOK(t, rt, postCall(hog, "")); strings.TrimSpace(got) != "32000000" {
		t.Errorf("hog within its limit: %q", got)
	}
	hog.Memory = 16
	invokeErr(t, testContext(t), rt, postCall(hog, ""), picasso.EBADGATEWAY)
}
