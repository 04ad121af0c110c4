package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/picasso-faas/picasso/internal/logwriter"
)

// parseLevel accepts the original Picasso's Python level names.
func parseLevel(name string) (slog.Level, error) {
	switch strings.ToUpper(name) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO", "":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("invalid --log-level %q: must be DEBUG, INFO, WARNING or ERROR", name)
}

// newLogger writes to --log-file or stdout, as JSON unless the format is
// text or, with no format given, stdout is a terminal. Lines are batched
// off the request path (logwriter.Async): the closer writes what is left,
// and a failing output is reported on stderr.
func newLogger(c *config, stdout, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	level, err := parseLevel(c.LogLevel)
	if err != nil {
		return nil, nil, err
	}
	out, file := stdout, io.Closer(nopCloser{})
	if c.LogFile != "" {
		f, err := os.OpenFile(c.LogFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid --log-file: %w", err)
		}
		out, file = f, f
	}
	text := c.LogFormat == "text" || c.LogFormat == "" && isTerminal(out)
	batched := logwriter.New(out, stderr)
	closer := closers{batched, file}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationsInMilliseconds}
	if text {
		return slog.New(slog.NewTextHandler(batched, opts)), closer, nil
	}
	return slog.New(slog.NewJSONHandler(batched, opts)), closer, nil
}

// closers closes each in turn and returns the first error.
type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// durationsInMilliseconds logs every time.Duration the way the access log
// does, as a number of milliseconds in a key ending in _ms, instead of
// slog's raw nanoseconds (JSON) or Go strings (text), whatever the caller.
func durationsInMilliseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_ms") {
		key += "_ms"
	}
	return slog.Float64(key, float64(a.Value.Duration().Microseconds())/1000)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
