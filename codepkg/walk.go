package codepkg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/picasso-faas/picasso"
)

// entryKind is what an archive entry creates.
type entryKind int

const (
	kindFile entryKind = iota
	kindDir
	kindSymlink
	kindHardlink
)

// entry is one checked archive entry: Name is clean, relative and inside
// the package; for links Target is too (hard links) or resolves inside
// it (symlinks, relative to the link's directory).
type entry struct {
	Name       string
	Kind       entryKind
	Executable bool
	Target     string
	Body       io.Reader // kindFile: the contents, counted against the limits
}

// walker applies the limits to a package's entries as they are read.
type walker struct {
	lim        Limits
	compressed int64
	unpacked   int64
	files      int
	seen       map[string]entryKind
}

func refuse(format string, args ...any) error {
	return picasso.Errorf(picasso.EINVALID, "Refused package: "+format, args...)
}

// walk calls fn for every entry of the package, in archive order, after
// checking it. fn must read Body to the end for the size limits to apply.
func walk(format, fileName string, data []byte, lim Limits, fn func(e *entry) error) error {
	if int64(len(data)) > lim.MaxCompressed {
		return picasso.Errorf(picasso.ETOOLARGE, "Package must be %d bytes or less", lim.MaxCompressed)
	}
	w := &walker{lim: lim, compressed: int64(len(data)), seen: map[string]entryKind{}}
	switch format {
	case picasso.CodeZip:
		return w.zip(data, fn)
	case picasso.CodeTarGz:
		return w.tarGz(data, fn)
	case picasso.CodeFile:
		if err := ValidateFileName(fileName); err != nil {
			return err
		}
		return w.visit(&entry{Name: fileName, Kind: kindFile, Body: bytes.NewReader(data)}, fn)
	}
	return picasso.Errorf(picasso.EINVALID, "Unknown package format %q", format)
}

// ValidateFileName checks the name of a single-file upload: a plain file
// name, not hidden.
func ValidateFileName(name string) error {
	if name == "" || len(name) > 255 || strings.HasPrefix(name, ".") || strings.ContainsAny(name, "/\\\x00") {
		return picasso.Errorf(picasso.EINVALID, "Invalid file name %q: a plain file name is needed (e.g. filename=main.py)", name)
	}
	return nil
}

func (w *walker) zip(data []byte, fn func(*entry) error) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return refuse("not a valid zip archive: %v", err)
	}
	if len(zr.File) > w.lim.MaxFiles {
		return refuse("it has %d entries, more than the limit of %d", len(zr.File), w.lim.MaxFiles)
	}
	for _, f := range zr.File {
		mode := f.Mode()
		e := &entry{Name: f.Name, Executable: mode&0o111 != 0}
		switch {
		case mode.IsDir():
			e.Kind = kindDir
		case mode&fs.ModeSymlink != 0:
			e.Kind = kindSymlink
			target, err := readSmall(f)
			if err != nil {
				return refuse("symlink %q: %v", f.Name, err)
			}
			e.Target = target
		case mode.IsRegular():
			e.Kind = kindFile
		default:
			return refuse("entry %q is a device, FIFO or socket", f.Name)
		}
		if e.Kind == kindFile {
			rc, err := f.Open()
			if err != nil {
				return refuse("entry %q: %v", f.Name, err)
			}
			e.Body = rc
			err = w.visit(e, fn)
			rc.Close()
			if err != nil {
				return err
			}
			continue
		}
		if err := w.visit(e, fn); err != nil {
			return err
		}
	}
	return nil
}

// readSmall reads a symlink's target, which is its contents in a zip.
func readSmall(f *zip.File) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4097))
	if err != nil {
		return "", err
	}
	if len(b) > 4096 {
		return "", errors.New("target too long")
	}
	return string(b), nil
}

func (w *walker) tarGz(data []byte, fn func(*entry) error) error {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return refuse("not a valid gzip stream: %v", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return refuse("not a valid tar archive: %v", err)
		}
		e := &entry{Name: h.Name, Executable: h.Mode&0o111 != 0}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			e.Kind, e.Body = kindFile, tr
		case tar.TypeDir:
			e.Kind = kindDir
		case tar.TypeSymlink:
			e.Kind, e.Target = kindSymlink, h.Linkname
		case tar.TypeLink:
			e.Kind, e.Target = kindHardlink, h.Linkname
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return refuse("entry %q is a device file or FIFO", h.Name)
		default:
			return refuse("entry %q has an unsupported type %q", h.Name, string(h.Typeflag))
		}
		if err := w.visit(e, fn); err != nil {
			return err
		}
	}
}

// visit checks one entry's name, kind and place, then hands it to fn with
// its body counted against the size limits.
func (w *walker) visit(e *entry, fn func(*entry) error) error {
	w.files++
	if w.files > w.lim.MaxFiles {
		return refuse("it has more entries than the limit of %d", w.lim.MaxFiles)
	}
	name, err := cleanName(e.Name)
	if err != nil {
		return err
	}
	e.Name = name
	if prev, ok := w.seen[name]; ok && !(prev == kindDir && e.Kind == kindDir) {
		return refuse("entry %q appears twice", name)
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if k, ok := w.seen[dir]; ok && k != kindDir {
			return refuse("entry %q lies below %q, which is not a directory", name, dir)
		}
	}
	switch e.Kind {
	case kindSymlink:
		if e.Target == "" || path.IsAbs(e.Target) || strings.ContainsAny(e.Target, "\\\x00") {
			return refuse("symlink %q points to %q, outside the package", name, e.Target)
		}
		if resolved := path.Join(path.Dir(name), e.Target); resolved == ".." || strings.HasPrefix(resolved, "../") {
			return refuse("symlink %q points to %q, outside the package", name, e.Target)
		}
	case kindHardlink:
		target, err := cleanName(e.Target)
		if err != nil {
			return refuse("hard link %q points to %q, outside the package", name, e.Target)
		}
		if k, ok := w.seen[target]; !ok || k != kindFile {
			return refuse("hard link %q points to %q, which is not an earlier file of the package", name, e.Target)
		}
		e.Target = target
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		w.seen[dir] = kindDir
	}
	w.seen[name] = e.Kind
	if e.Body != nil {
		e.Body = &countingReader{r: e.Body, w: w}
	}
	if err := fn(e); err != nil {
		return err
	}
	if e.Body != nil {
		// What fn left unread still counts.
		if _, err := io.Copy(io.Discard, e.Body); err != nil {
			return err
		}
	}
	return nil
}

// cleanName makes an entry name relative and clean, refusing absolute
// paths, ".." and names that are not plain slash-separated paths.
func cleanName(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "\\\x00") {
		return "", refuse("entry name %q is not a plain relative path", name)
	}
	if path.IsAbs(name) {
		return "", refuse("entry %q has an absolute path", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return "", refuse("entry %q leads outside the package (..)", name)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", refuse("entry name %q names the package itself", name)
	}
	return clean, nil
}

// countingReader charges every byte read to the walker's limits and
// fails the read that crosses one.
type countingReader struct {
	r io.Reader
	w *walker
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	w := c.w
	w.unpacked += int64(n)
	if over := w.unpacked - w.lim.MaxUnpacked; over > 0 {
		// Not one byte past the limit reaches the writer.
		return n - int(min(over, int64(n))), refuse("it unpacks to more than %d bytes", w.lim.MaxUnpacked)
	}
	if w.unpacked > w.lim.RatioFloor && w.unpacked > w.compressed*w.lim.MaxRatio {
		return n, refuse("it unpacks to more than %d times its compressed size (a zip bomb?)", w.lim.MaxRatio)
	}
	if err != nil && err != io.EOF {
		return n, refuse("corrupt contents: %v", err)
	}
	return n, err
}
