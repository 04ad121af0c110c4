package picasso

import (
	"context"
	"strings"
	"time"
)

// Code formats: how an uploaded package is laid out.
const (
	CodeZip   = "zip"    // a zip archive
	CodeTarGz = "tar.gz" // a gzip-compressed tar archive
	CodeFile  = "file"   // a single source file, CodeVersion.FileName
)

// CodeVersion is one immutable upload of a route's code. Versions count
// up per route from 1; the route runs the newest (Route.CodeVersion).
// Identical uploads share one stored copy, addressed by SHA256.
type CodeVersion struct {
	AppID   string `db:"app_id"`
	Path    string `db:"path"`
	Version int64  `db:"version"`
	// SHA256 is the hex digest of the upload as received.
	SHA256 string `db:"sha256"`
	Size   int64  `db:"size"`
	Format string `db:"format"`
	// FileName names the file of a CodeFile upload; empty otherwise.
	FileName  string    `db:"file_name"`
	CreatedAt time.Time `db:"created_at"`
}

// CodeSource reads stored code, which is all a runtime needs of it.
type CodeSource interface {
	// GetCodeVersion returns one version of a route's code; ENOTFOUND
	// when the route never had it.
	GetCodeVersion(ctx context.Context, appID, path string, version int64) (*CodeVersion, error)
	// ReadCode returns the stored bytes of an upload by digest.
	ReadCode(ctx context.Context, sha256 string) ([]byte, error)
}

// CodeStore keeps uploaded code: content-addressed bytes stored once and
// the versions of each route that reference them. Bytes nothing refers to
// any more (the route's code was replaced or the route deleted) are
// released in the transaction that dropped the last reference.
type CodeStore interface {
	CodeSource
	// PutCode stores data as the route's newest version, which it fills in
	// (Version, CreatedAt), and makes the route run it; ENOTFOUND without
	// the route. projectID owns the route's app: EQUOTA (a *LimitError)
	// when the upload would take the project's stored code beyond limit
	// bytes (function_code_bytes, which may be Unlimited), counted like
	// QuotaStore's creates. A new version replaces the route's current
	// one, so only what it adds to that one counts.
	PutCode(ctx context.Context, projectID string, version *CodeVersion, data []byte, limit int64) error
	// CodeRoom is PutCode's quota check alone, made before an upload is
	// unpacked anywhere; PutCode makes it again when uploads race.
	CodeRoom(ctx context.Context, projectID string, version *CodeVersion, limit int64) error
	// GetCode returns the version the route runs; ENOTFOUND when it has none.
	GetCode(ctx context.Context, appID, path string) (*CodeVersion, error)
}

// RuntimeInfo describes one language runtime a backend offers.
type RuntimeInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// HandlerForm says what Route.Handler names for this runtime.
	HandlerForm string `json:"handler_form"`
	// DefaultHandler is used when a route of this runtime sets none.
	DefaultHandler string `json:"default_handler"`
}

// CodeRunner is implemented by backends that run uploaded code.
type CodeRunner interface {
	// Runtimes lists the runtimes the backend offers.
	Runtimes() []RuntimeInfo
	// CheckHandler refuses (EINVALID) a handler the runtime cannot load.
	CheckHandler(runtime, handler string) error
	// PrepareCode makes a version ready to run (unpacked on local disk)
	// before the store publishes it, so that its first call finds it.
	PrepareCode(ctx context.Context, version *CodeVersion, data []byte) error
}

// Capabilities say what the gateway and its backend can do, so that
// clients can tell before they try.
type Capabilities struct {
	Backend string `json:"backend"`
	// Images: routes can run container images (or, with the local
	// runtime, executables named like images).
	Images bool `json:"images"`
	// Code: routes can run uploaded code in a language runtime.
	Code bool `json:"code"`
	// Async: routes of type async queue their calls durably.
	Async bool `json:"async"`
}

// Limits of the names of runtimes and handlers.
const (
	MaxRuntimeLength = 32
	MaxHandlerLength = 255
)

// ValidateCodeFields checks the form of a route's runtime and handler;
// which runtimes exist and what a handler must look like is the backend's
// to say (CodeRunner).
func ValidateCodeFields(runtime, handler string) error {
	if runtime == "" {
		if handler != "" {
			return Errorf(EINVALID, "Route handler needs a runtime")
		}
		return nil
	}
	if len(runtime) > MaxRuntimeLength {
		return Errorf(EINVALID, "Route runtime must be %d characters or less", MaxRuntimeLength)
	}
	for i := 0; i < len(runtime); i++ {
		if c := runtime[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return Errorf(EINVALID, "Invalid route runtime %q", runtime)
		}
	}
	if len(handler) > MaxHandlerLength {
		return Errorf(EINVALID, "Route handler must be %d characters or less", MaxHandlerLength)
	}
	if strings.ContainsAny(handler, " \t\r\n\x00\\") || strings.HasPrefix(handler, "/") || strings.Contains(handler, "..") {
		return Errorf(EINVALID, "Invalid route handler %q: a relative name without white space, '\\' or '..'", handler)
	}
	return nil
}
