package codepkg

import (
	"io"
	"os"
	"path/filepath"
)

// Check walks the whole package, reading every byte, and returns the
// first problem; it writes nothing.
func Check(format, fileName string, data []byte, lim Limits) error {
	return walk(format, fileName, data, lim, func(*entry) error { return nil })
}

// Unpack writes the package below dest, an empty directory that the
// caller created (and removes again if Unpack fails). Files are 0644, or
// 0755 when the archive marks them executable; directories 0755.
func Unpack(format, fileName string, data []byte, lim Limits, dest string) error {
	return walk(format, fileName, data, lim, func(e *entry) error {
		target := filepath.Join(dest, filepath.FromSlash(e.Name))
		if e.Kind != kindDir {
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
		}
		switch e.Kind {
		case kindDir:
			return os.MkdirAll(target, 0o755)
		case kindSymlink:
			return os.Symlink(filepath.FromSlash(e.Target), target)
		case kindHardlink:
			return os.Link(filepath.Join(dest, filepath.FromSlash(e.Target)), target)
		}
		perm := os.FileMode(0o644)
		if e.Executable {
			perm = 0o755
		}
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, e.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}
