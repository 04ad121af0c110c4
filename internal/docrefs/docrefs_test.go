// Package docrefs checks that the repository explains itself: every
// reference to a file under docs/ and every relative Markdown link
// resolves inside the repository, and nothing points outside it.
package docrefs

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// textFile reports whether a file is one whose text may cite docs.
func textFile(name string) bool {
	switch filepath.Ext(name) {
	case ".go", ".md", ".sh", ".yaml", ".yml", ".sql", ".py", ".txt", ".json":
		return true
	}
	return name == "Makefile" || strings.HasPrefix(name, "Dockerfile")
}

var (
	// docsReference is a path under docs/ not part of a longer path.
	docsReference = regexp.MustCompile(`(?:^|[^\w./-])(docs/[\w./-]*\w)`)
	// markdownLink is the target of [text](target).
	markdownLink = regexp.MustCompile(`\]\(([^)\s#]+)(?:#[^)]*)?\)`)
	// outside are the ways a text has pointed outside the repository:
	// the coordinator's shared documents and absolute checkout paths.
	// They are split so that this file does not match itself.
	outside = []string{"/wo" + "rk/", "../sha" + "red", "sha" + "red docs", "sha" + "red/docs"}
)

func TestReferencesResolveInsideTheRepository(t *testing.T) {
	root := repositoryRoot(t)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "vendor" || name == "node_modules" || name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !textFile(d.Name()) {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil || bytes.IndexByte(text, 0) >= 0 {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for i, line := range strings.Split(string(text), "\n") {
			where := rel + ":" + strconv.Itoa(i+1)
			for _, s := range outside {
				if strings.Contains(line, s) {
					t.Errorf("%s points outside the repository (%q): copy the fact into docs/ instead", where, s)
				}
			}
			for _, m := range docsReference.FindAllStringSubmatch(line, -1) {
				checked++
				if _, err := os.Stat(filepath.Join(root, m[1])); err != nil {
					t.Errorf("%s cites %s, which does not exist", where, m[1])
				}
			}
			if filepath.Ext(path) != ".md" {
				continue
			}
			for _, m := range markdownLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				resolved := filepath.Join(filepath.Dir(path), target)
				if r, err := filepath.Rel(root, resolved); err != nil || strings.HasPrefix(r, "..") || filepath.IsAbs(target) {
					t.Errorf("%s links to %s, outside the repository", where, target)
				} else if _, err := os.Stat(resolved); err != nil {
					t.Errorf("%s links to %s, which does not exist", where, target)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no reference found: the walk missed the repository")
	}
}

// repositoryRoot is the directory of go.mod above this package.
func repositoryRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
