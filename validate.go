package picasso

import (
	"net/http"
	"net/url"
	"strings"
)

// Bounds of route settings. IronFunctions enforces none of them, so the
// gateway does (docs/ironfunctions.md, "What a gateway in front has to do").
const (
	MaxMemory           = 8192 // MiB
	MaxTimeout          = 300  // seconds
	MaxRouteConcurrency = 1000 // the highest max_concurrency of a route
	MaxConfigEntries    = 100
	MaxConfigKey        = 128
	MaxConfigValue      = 4096
	MaxHeaderEntries    = 50
	MaxMaxAttempts      = 100
	MaxCallbackURL      = 2048
)

// ApplyDefaults fills the fields a create request left out.
func (r *Route) ApplyDefaults() {
	if r.Type == "" {
		r.Type = RouteSync
	}
	if r.Format == "" {
		r.Format = FormatDefault
	}
	if r.Memory == 0 {
		r.Memory = DefaultMemory
	}
	if r.Timeout == 0 {
		r.Timeout = DefaultTimeout
	}
	if r.MaxConcurrency == 0 {
		r.MaxConcurrency = DefaultMaxConcurrency
	}
	if r.Config == nil {
		r.Config = map[string]string{}
	}
	if r.Headers == nil {
		r.Headers = map[string][]string{}
	}
}

// Validate checks every field of a route after defaults were applied.
func (r *Route) Validate() error {
	if err := ValidateRoutePath(r.Path); err != nil {
		return err
	}
	switch {
	case r.Image == "":
		return Errorf(EINVALID, "Missing route image")
	case len(r.Image) > MaxImageLength:
		return Errorf(EINVALID, "Route image must be %d characters or less", MaxImageLength)
	case strings.ContainsAny(r.Image, " \t\r\n\x00"):
		return Errorf(EINVALID, "Route image must not contain white space or NUL")
	case r.Type != RouteSync && r.Type != RouteAsync:
		return Errorf(EINVALID, "Invalid route type %q: must be %q or %q", r.Type, RouteSync, RouteAsync)
	case r.Format != FormatDefault && r.Format != FormatHTTP:
		return Errorf(EINVALID, "Invalid route format %q: must be %q or %q", r.Format, FormatDefault, FormatHTTP)
	case r.Memory < 1 || r.Memory > MaxMemory:
		return Errorf(EINVALID, "Route memory must be between 1 and %d MiB", MaxMemory)
	case r.Timeout < 1 || r.Timeout > MaxTimeout:
		return Errorf(EINVALID, "Route timeout must be between 1 and %d seconds", MaxTimeout)
	case r.MaxConcurrency < 1 || r.MaxConcurrency > MaxRouteConcurrency:
		return Errorf(EINVALID, "Route max_concurrency must be between 1 and %d", MaxRouteConcurrency)
	case r.MaxAttempts < 0 || r.MaxAttempts > MaxMaxAttempts:
		return Errorf(EINVALID, "Route max_attempts must be between 0 (the default) and %d", MaxMaxAttempts)
	}
	if r.CallbackURL != "" {
		if err := ValidateCallbackURL(r.CallbackURL); err != nil {
			return err
		}
	}
	if err := ValidateConfig(r.Config); err != nil {
		return err
	}
	return validateHeaders(r.Headers)
}

// Validate checks the fields of an app a client may set.
func (a *App) Validate() error {
	if err := ValidateAppName(a.Name); err != nil {
		return err
	}
	if len(a.Description) > MaxDescription {
		return Errorf(EINVALID, "App description must be %d characters or less", MaxDescription)
	}
	if strings.ContainsRune(a.Description, 0) {
		return Errorf(EINVALID, "App description must not contain NUL")
	}
	return ValidateConfig(a.Config)
}

// ValidateConfig checks a config map. Keys become environment variables of
// the function, so they are limited to letters, digits, "_" and "-".
func ValidateConfig(config map[string]string) error {
	if len(config) > MaxConfigEntries {
		return Errorf(EINVALID, "Config must have %d entries or fewer", MaxConfigEntries)
	}
	for k, v := range config {
		if k == "" || len(k) > MaxConfigKey {
			return Errorf(EINVALID, "Config keys must be 1 to %d characters", MaxConfigKey)
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !isAlnum(c) && c != '_' && c != '-' {
				return Errorf(EINVALID, "Invalid config key %q: use letters, digits, '_' and '-'", k)
			}
		}
		if v == "" {
			// "" means "delete this key" in every update, here and on the backends.
			return Errorf(EINVALID, "Config value of %q must not be empty", k)
		}
		if len(v) > MaxConfigValue {
			return Errorf(EINVALID, "Config value of %q must be %d characters or less", k, MaxConfigValue)
		}
		if strings.ContainsRune(v, 0) {
			return Errorf(EINVALID, "Config value of %q must not contain NUL", k)
		}
	}
	return nil
}

func validateHeaders(headers map[string][]string) error {
	if len(headers) > MaxHeaderEntries {
		return Errorf(EINVALID, "Headers must have %d entries or fewer", MaxHeaderEntries)
	}
	for name, values := range headers {
		if name == "" || http.CanonicalHeaderKey(name) == "" || strings.ContainsAny(name, " \t\r\n:\x00()<>@,;\\\"/[]?={}") {
			return Errorf(EINVALID, "Invalid header name %q", name)
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n\x00") || len(v) > MaxConfigValue {
				return Errorf(EINVALID, "Invalid value of header %q", name)
			}
		}
	}
	return nil
}

// ValidateCallbackURL checks the form of a callback URL: absolute http or
// https, with a host. Where it points is checked when a result is posted
// (the address may change after this check).
func ValidateCallbackURL(raw string) error {
	if len(raw) > MaxCallbackURL {
		return Errorf(EINVALID, "Callback URL must be %d characters or less", MaxCallbackURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Errorf(EINVALID, "Callback URL must be an absolute http or https URL without credentials")
	}
	return nil
}
