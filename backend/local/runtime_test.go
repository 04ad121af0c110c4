package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/picasso-faas/picasso"
)

func TestNewNeedsAnExistingDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	mustDo(t, os.WriteFile(file, nil, 0o644))
	for _, dir := range []string{"", filepath.Join(t.TempDir(), "missing"), file} {
		if _, err := New(Options{FunctionsDir: dir}); err == nil {
			t.Errorf("New(%q) succeeded", dir)
		}
	}
}

func TestPingNoticesAMissingDirectory(t *testing.T) {
	dir := functionsDir(t, nil)
	rt, _ := newRuntime(t, Options{FunctionsDir: dir})
	mustDo(t, rt.Ping(testContext(t)))
	mustDo(t, os.Remove(dir))
	wantCode(t, "Ping", rt.Ping(testContext(t)), picasso.EUNAVAILABLE)
}
