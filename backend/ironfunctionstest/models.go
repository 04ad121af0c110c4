package ironfunctionstest

import (
	"maps"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// app and route mirror IronFunctions' api/models, JSON names included.
type app struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
}

type route struct {
	AppName        string              `json:"app_name"`
	Path           string              `json:"path"`
	Image          string              `json:"image"`
	Memory         uint64              `json:"memory"`
	Headers        map[string][]string `json:"headers"`
	Type           string              `json:"type"`
	Format         string              `json:"format"`
	MaxConcurrency int                 `json:"max_concurrency"`
	Timeout        int32               `json:"timeout"`
	IdleTimeout    int32               `json:"idle_timeout"`
	Config         map[string]string   `json:"config"`
	JwtKey         string              `json:"jwt_key"`
}

// validateAppName reproduces app.go, including its broken upper-case test
// `(c < 'A' || 'Z' > c)`, which rejects A-Y and accepts Z and every rune
// above it.
func validateAppName(name string) string {
	switch {
	case name == "":
		return "Missing app name"
	case len(name) > 30:
		return "App name must be 30 characters or less"
	}
	for _, c := range name {
		if (c < '0' || '9' < c) && (c < 'A' || 'Z' > c) && (c < 'a' || 'z' < c) && c != '_' && c != '-' {
			return "Invalid app name"
		}
	}
	return ""
}

func (r *route) setDefaults() {
	if r.Memory == 0 {
		r.Memory = 128
	}
	if r.Type == "" {
		r.Type = "sync"
	}
	if r.Format == "" {
		r.Format = "default"
	}
	if r.MaxConcurrency == 0 {
		r.MaxConcurrency = 1
	}
	if r.Timeout == 0 {
		r.Timeout = 30
	}
	if r.Headers == nil {
		r.Headers = map[string][]string{}
	}
	if r.Config == nil {
		r.Config = map[string]string{}
	}
}

// validate reproduces route.go's Validate: messages in upstream order;
// skipZero is the PATCH mode, where absent fields are not checked. A path
// that does not parse panics upstream (nil *url.URL), so it panics here.
func (r *route) validate(skipZero bool) []string {
	var msgs []string
	if !skipZero {
		if r.AppName == "" {
			msgs = append(msgs, "Missing route AppName")
		}
		if r.Image == "" {
			msgs = append(msgs, "Missing route Image")
		}
		if r.Path == "" {
			msgs = append(msgs, "Missing route Path")
		}
	}
	if !skipZero || r.Path != "" {
		u, err := url.Parse(r.Path)
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if strings.Contains(u.Path, ":") {
			msgs = append(msgs, "Dynamic URL is not allowed")
		}
		if !path.IsAbs(u.Path) {
			msgs = append(msgs, "Invalid Path format")
		}
	}
	if (!skipZero || r.Type != "") && r.Type != "sync" && r.Type != "async" {
		msgs = append(msgs, "Invalid route Type")
	}
	if (!skipZero || r.Format != "") && r.Format != "default" && r.Format != "http" {
		msgs = append(msgs, "Invalid route Format")
	}
	if r.MaxConcurrency < 0 {
		msgs = append(msgs, "Negative MaxConcurrency")
	}
	if r.Timeout < 0 {
		msgs = append(msgs, "Negative timeout")
	}
	if r.IdleTimeout < 0 {
		msgs = append(msgs, "Negative idle timeout")
	}
	return msgs
}

// update reproduces Route.Update: zero values mean "unchanged", config
// merges with "" deleting, headers append through http.Header (so names
// are canonicalised) and an empty list deletes.
func (r *route) update(patch *route) {
	if patch.Image != "" {
		r.Image = patch.Image
	}
	if patch.Memory != 0 {
		r.Memory = patch.Memory
	}
	if patch.Type != "" {
		r.Type = patch.Type
	}
	if patch.Timeout != 0 {
		r.Timeout = patch.Timeout
	}
	if patch.IdleTimeout != 0 {
		r.IdleTimeout = patch.IdleTimeout
	}
	if patch.Format != "" {
		r.Format = patch.Format
	}
	if patch.MaxConcurrency != 0 {
		r.MaxConcurrency = patch.MaxConcurrency
	}
	if patch.JwtKey != "" {
		r.JwtKey = patch.JwtKey
	}
	if patch.Headers != nil {
		h := http.Header(r.Headers)
		for k, v := range patch.Headers {
			if len(v) == 0 {
				h.Del(k)
				continue
			}
			for _, val := range v {
				h.Add(k, val)
			}
		}
	}
	mergeConfig(&r.Config, patch.Config)
}

func mergeConfig(dst *map[string]string, patch map[string]string) {
	if patch == nil {
		return
	}
	if *dst == nil {
		*dst = map[string]string{}
	}
	for k, v := range patch {
		if v == "" {
			delete(*dst, k)
		} else {
			(*dst)[k] = v
		}
	}
}

func (r *route) clone() *route {
	c := *r
	c.Config = cloneMap(r.Config)
	c.Headers = make(map[string][]string, len(r.Headers))
	for k, v := range r.Headers {
		c.Headers[k] = append([]string(nil), v...)
	}
	return &c
}

func cloneMap(m map[string]string) map[string]string { return maps.Clone(m) }
