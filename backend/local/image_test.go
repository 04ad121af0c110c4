package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/picasso-faas/picasso"
)

func TestImagesResolveOnlyToExecutablesInTheDirectory(t *testing.T) {
	dir := functionsDir(t, map[string]string{"fn": "echo fn"})
	outside := functionsDir(t, map[string]string{"other": "echo other"})
	mustDo(t, os.WriteFile(filepath.Join(dir, "plain"), []byte("not executable"), 0o644))
	mustDo(t, os.Mkdir(filepath.Join(dir, "subdir"), 0o755))
	mustDo(t, os.Symlink("fn", filepath.Join(dir, "alias")))
	mustDo(t, os.Symlink(filepath.Join(outside, "other"), filepath.Join(dir, "escape")))
	mustDo(t, os.Symlink("/bin/sh", filepath.Join(dir, "shell")))
	rt, _ := newRuntime(t, Options{FunctionsDir: dir})

	for _, image := range []string{"fn", "fn:1.0", "alias", "alias:latest"} {
		path, err := rt.resolveImage(image)
		if err != nil {
			t.Errorf("%q: %v", image, err)
		} else if path != filepath.Join(rt.dir, "fn") {
			t.Errorf("%q resolved to %s", image, path)
		}
	}
	for _, image := range []string{
		"", ":tag", "../fn", "..", ".", ".hidden", "/bin/sh", "subdir/fn", `sub\fn`, "fn\x00",
		"missing", "plain", "subdir", "escape", "shell",
		"../" + filepath.Base(outside) + "/other",
	} {
		if _, err := rt.resolveImage(image); !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("%q: got %v, want EINVALID", image, err)
		}
	}
}

func TestRoutesWithBadImagesAreRefused(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	ctx := testContext(t)
	mustDo(t, rt.CreateApp(ctx, testApp))
	for _, image := range []string{"../hello", "/bin/sh", "nope"} {
		if err := rt.CreateRoute(ctx, testApp, newRoute("/x", image)); !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("CreateRoute(%q): got %v, want EINVALID", image, err)
		}
	}
	mustDo(t, rt.CreateRoute(ctx, testApp, newRoute("/x", "hello")))
	if err := rt.UpdateRoute(ctx, testApp, newRoute("/x", "/bin/sh")); !picasso.IsCode(err, picasso.EINVALID) {
		t.Errorf("UpdateRoute: got %v, want EINVALID", err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
