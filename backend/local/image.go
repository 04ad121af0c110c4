package local

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/picasso-faas/picasso"
)

// imageFileName returns the file an image names: the part before ":".
// Only a plain file name is accepted; see the package documentation.
func imageFileName(image string) (string, bool) {
	name, _, _ := strings.Cut(image, ":")
	if name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, "/\\\x00") {
		return "", false
	}
	return name, true
}

// resolveImage returns the absolute, symlink-free path of the executable
// an image names, refusing anything outside the functions directory.
func (rt *Runtime) resolveImage(image string) (string, error) {
	name, ok := imageFileName(image)
	if !ok {
		return "", picasso.Errorf(picasso.EINVALID, "Invalid function image %q: must be the name of a file in the functions directory", image)
	}
	unknown := picasso.Errorf(picasso.EINVALID, "Unknown function image %q: no executable %q in the functions directory", image, name)
	resolved, err := filepath.EvalSymlinks(filepath.Join(rt.dir, name))
	if err != nil {
		unknown.Err = err
		return "", unknown
	}
	if !isWithin(rt.dir, resolved) {
		return "", picasso.Errorf(picasso.EINVALID, "Invalid function image %q: it leads outside the functions directory", image)
	}
	info, err := os.Stat(resolved)
	if err != nil {
		unknown.Err = err
		return "", unknown
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
		return "", unknown
	}
	return resolved, nil
}

// isWithin reports whether path lies below dir; both are absolute and clean.
func isWithin(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
