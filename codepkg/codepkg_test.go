package codepkg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
)

type tarEntry struct {
	name, link string
	kind       byte
	body       string
}

func tarGz(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.kind, Mode: 0o644, Size: int64(len(e.body))}
		if e.kind != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

type zipEntry struct {
	name string
	mode fs.FileMode
	body string
}

func zipOf(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode | 0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	zw.Close()
	return buf.Bytes()
}

func TestUnpacksZipAndTarGz(t *testing.T) {
	for name, pkg := range map[string]struct {
		format string
		data   []byte
	}{
		"zip": {picasso.CodeZip, zipOf(t, zipEntry{name: "main.py", body: "x = 1\n"}, zipEntry{name: "lib/util.py", body: "y = 2\n"},
			zipEntry{name: "lib/alias.py", mode: fs.ModeSymlink, body: "util.py"})},
		"tar.gz": {picasso.CodeTarGz, tarGz(t, tarEntry{name: "main.py", kind: tar.TypeReg, body: "x = 1\n"},
			tarEntry{name: "lib/", kind: tar.TypeDir}, tarEntry{name: "lib/util.py", kind: tar.TypeReg, body: "y = 2\n"},
			tarEntry{name: "lib/alias.py", kind: tar.TypeSymlink, link: "util.py"},
			tarEntry{name: "copy.py", kind: tar.TypeLink, link: "main.py"})},
	} {
		t.Run(name, func(t *testing.T) {
			dest := t.TempDir()
			if err := Unpack(pkg.format, "", pkg.data, DefaultLimits(), dest); err != nil {
				t.Fatal(err)
			}
			for file, want := range map[string]string{"main.py": "x = 1\n", "lib/util.py": "y = 2\n", "lib/alias.py": "y = 2\n"} {
				if got, err := os.ReadFile(filepath.Join(dest, file)); err != nil || string(got) != want {
					t.Errorf("%s: %q, %v", file, got, err)
				}
			}
		})
	}
}

func TestRefusesHostilePackages(t *testing.T) {
	small := DefaultLimits()
	small.MaxFiles = 3
	bomb := strings.Repeat("0", 20<<20)
	cases := []struct {
		name, format string
		data         []byte
		lim          Limits
		want         string
	}{
		{"zip slip", picasso.CodeZip, zipOf(t, zipEntry{name: "../evil.py", body: "x"}), DefaultLimits(), "leads outside"},
		{"zip slip deep", picasso.CodeZip, zipOf(t, zipEntry{name: "a/../../evil.py", body: "x"}), DefaultLimits(), "leads outside"},
		{"absolute zip", picasso.CodeZip, zipOf(t, zipEntry{name: "/etc/cron.d/x", body: "x"}), DefaultLimits(), "absolute path"},
		{"absolute tar", picasso.CodeTarGz, tarGz(t, tarEntry{name: "/tmp/x", kind: tar.TypeReg, body: "x"}), DefaultLimits(), "absolute path"},
		{"tar slip", picasso.CodeTarGz, tarGz(t, tarEntry{name: "../x", kind: tar.TypeReg, body: "x"}), DefaultLimits(), "leads outside"},
		{"symlink out zip", picasso.CodeZip, zipOf(t, zipEntry{name: "passwd", mode: fs.ModeSymlink, body: "/etc/passwd"}), DefaultLimits(), "outside the package"},
		{"symlink up tar", picasso.CodeTarGz, tarGz(t, tarEntry{name: "a/up", kind: tar.TypeSymlink, link: "../../etc"}), DefaultLimits(), "outside the package"},
		{"write through symlink", picasso.CodeTarGz, tarGz(t, tarEntry{name: "d", kind: tar.TypeSymlink, link: "."},
			tarEntry{name: "d/x", kind: tar.TypeReg, body: "x"}), DefaultLimits(), "not a directory"},
		{"hard link out", picasso.CodeTarGz, tarGz(t, tarEntry{name: "h", kind: tar.TypeLink, link: "../../etc/shadow"}), DefaultLimits(), "hard link"},
		{"hard link to nothing", picasso.CodeTarGz, tarGz(t, tarEntry{name: "h", kind: tar.TypeLink, link: "missing"}), DefaultLimits(), "hard link"},
		{"char device", picasso.CodeTarGz, tarGz(t, tarEntry{name: "null", kind: tar.TypeChar}), DefaultLimits(), "device"},
		{"fifo", picasso.CodeTarGz, tarGz(t, tarEntry{name: "pipe", kind: tar.TypeFifo}), DefaultLimits(), "FIFO"},
		{"zip device", picasso.CodeZip, zipOf(t, zipEntry{name: "dev", mode: fs.ModeDevice | fs.ModeCharDevice}), DefaultLimits(), "device"},
		{"zip bomb ratio", picasso.CodeZip, zipOf(t, zipEntry{name: "bomb", body: bomb}), DefaultLimits(), "times its compressed size"},
		{"tar bomb total", picasso.CodeTarGz, tarGz(t, tarEntry{name: "a", kind: tar.TypeReg, body: bomb}),
			Limits{MaxCompressed: 50 << 20, MaxUnpacked: 1 << 20, MaxFiles: 10, MaxRatio: 1 << 30, RatioFloor: 1 << 30}, "more than 1048576 bytes"},
		{"too many files", picasso.CodeZip, zipOf(t, zipEntry{name: "a"}, zipEntry{name: "b"}, zipEntry{name: "c"}, zipEntry{name: "d"}), small, "limit of 3"},
		{"too many tar files", picasso.CodeTarGz, tarGz(t, tarEntry{name: "a", kind: tar.TypeReg}, tarEntry{name: "b", kind: tar.TypeReg},
			tarEntry{name: "c", kind: tar.TypeReg}, tarEntry{name: "d", kind: tar.TypeReg}), small, "limit of 3"},
		{"duplicate", picasso.CodeZip, zipOf(t, zipEntry{name: "a", body: "1"}, zipEntry{name: "a", body: "2"}), DefaultLimits(), "twice"},
		{"not a zip", picasso.CodeZip, []byte("hello"), DefaultLimits(), "not a valid zip"},
		{"not gzip", picasso.CodeTarGz, []byte("hello"), DefaultLimits(), "not a valid gzip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Check(c.format, "", c.data, c.lim); !picasso.IsCode(err, picasso.EINVALID) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Check: %v, want EINVALID mentioning %q", err, c.want)
			}
			dest := t.TempDir()
			err := Unpack(c.format, "", c.data, c.lim, dest)
			if !picasso.IsCode(err, picasso.EINVALID) {
				t.Errorf("Unpack: %v, want EINVALID", err)
			}
			// Unpack stops at the first byte over a limit: the bomb's file
			// is cut off near the limit, never written in full.
			filepath.Walk(dest, func(p string, info fs.FileInfo, err error) error {
				if err == nil && info.Size() > c.lim.MaxUnpacked {
					t.Errorf("%s holds %d bytes", p, info.Size())
				}
				return nil
			})
		})
	}
}

func TestCompressedLimit(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxCompressed = 10
	if err := Check(picasso.CodeFile, "main.py", []byte("0123456789x"), lim); !picasso.IsCode(err, picasso.ETOOLARGE) {
		t.Errorf("Check: %v, want ETOOLARGE", err)
	}
}

func TestSingleFileName(t *testing.T) {
	for _, name := range []string{"", "../main.py", "a/b.py", ".hidden", "a\\b"} {
		if err := Check(picasso.CodeFile, name, []byte("x"), DefaultLimits()); !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("file name %q: %v, want EINVALID", name, err)
		}
	}
	dest := t.TempDir()
	if err := Unpack(picasso.CodeFile, "main.py", []byte("print(1)\n"), DefaultLimits(), dest); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "main.py")); string(got) != "print(1)\n" {
		t.Errorf("main.py holds %q", got)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte("PK\x03\x04"), true)
	f.Add([]byte{0x1f, 0x8b}, false)
	f.Fuzz(func(t *testing.T, data []byte, isZip bool) {
		format := picasso.CodeTarGz
		if isZip {
			format = picasso.CodeZip
		}
		err := Check(format, "", data, DefaultLimits())
		if err != nil && !picasso.IsCode(err, picasso.EINVALID) && !picasso.IsCode(err, picasso.ETOOLARGE) {
			t.Fatalf("Check: %v, want nil, EINVALID or ETOOLARGE", err)
		}
	})
}
