package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/codepkg"
)

// codeCache keeps each code version unpacked on local disk, one directory
// per upload digest and format. A directory is unpacked into a temporary
// sibling and renamed into place, so a path that exists is complete. The
// cache is rebuilt from the store on demand: after a restart, or on a
// replica that did not receive the upload.
type codeCache struct {
	dir    string
	source picasso.CodeSource // nil: only what PrepareCode unpacked
	limits codepkg.Limits
	build  singleflight.Group

	mu       sync.Mutex
	versions map[versionKey]*picasso.CodeVersion // immutable, so never stale
}

// versionKey names a version for the life of its route: a route deleted
// and created again counts its versions from 1 again.
type versionKey struct {
	appID, path string
	created     int64
	version     int64
}

func newCodeCache(dir string, source picasso.CodeSource) (*codeCache, error) {
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "picasso-code")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("code cache: %w", err)
	}
	// The sandbox user must reach the packages below it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("code cache: %w", err)
	}
	return &codeCache{dir: dir, source: source, limits: codepkg.DefaultLimits(), versions: map[versionKey]*picasso.CodeVersion{}}, nil
}

// pathOf is where a version is unpacked: the same bytes in the same
// format are the same package, whichever route uploaded them.
func (c *codeCache) pathOf(v *picasso.CodeVersion) string {
	h := sha256.Sum256([]byte(v.SHA256 + "\x00" + v.Format + "\x00" + v.FileName))
	return filepath.Join(c.dir, hex.EncodeToString(h[:16]))
}

// prepare unpacks data unless the version is unpacked already.
func (c *codeCache) prepare(v *picasso.CodeVersion, data []byte) (string, error) {
	dest := c.pathOf(v)
	_, err, _ := c.build.Do(dest, func() (any, error) {
		if _, err := os.Stat(dest); err == nil {
			return nil, nil
		}
		tmp, err := os.MkdirTemp(c.dir, ".unpacking-")
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		if err := codepkg.Unpack(v.Format, v.FileName, data, c.limits, tmp); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		if err := os.Rename(tmp, dest); err != nil {
			os.RemoveAll(tmp)
			if errors.Is(err, os.ErrExist) {
				return nil, nil // another process unpacked it meanwhile
			}
			return nil, err
		}
		return nil, nil
	})
	return dest, err
}

// packageOf returns the unpacked directory of the route's code version,
// fetching and unpacking it when this replica has not yet.
func (c *codeCache) packageOf(ctx context.Context, route *picasso.Route) (string, error) {
	if route.CodeVersion == 0 {
		return "", picasso.Errorf(picasso.EBADGATEWAY, "Route has no code yet: upload it with PUT .../code")
	}
	v, err := c.version(ctx, route)
	if err != nil {
		return "", err
	}
	dest := c.pathOf(v)
	if _, err := os.Stat(dest); err == nil {
		return dest, nil
	}
	if c.source == nil {
		return "", picasso.Errorf(picasso.EBADGATEWAY, "Code version %d is not available on this replica", v.Version)
	}
	data, err := c.source.ReadCode(ctx, v.SHA256)
	if err != nil {
		return "", picasso.Wrap(picasso.EBADGATEWAY, err, "Code of the route could not be read")
	}
	if _, err := c.prepare(v, data); err != nil {
		return "", picasso.Wrap(picasso.EBADGATEWAY, err, "Code of the route could not be unpacked")
	}
	return dest, nil
}

func (c *codeCache) version(ctx context.Context, route *picasso.Route) (*picasso.CodeVersion, error) {
	key := versionKey{route.AppID, route.Path, route.CreatedAt.UnixNano(), route.CodeVersion}
	c.mu.Lock()
	v, ok := c.versions[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	if c.source == nil {
		return nil, picasso.Errorf(picasso.EBADGATEWAY, "Code version %d is not available on this replica", route.CodeVersion)
	}
	v, err := c.source.GetCodeVersion(ctx, route.AppID, route.Path, route.CodeVersion)
	if err != nil {
		return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Code version %d of the route could not be read", route.CodeVersion)
	}
	c.mu.Lock()
	c.versions[key] = v
	c.mu.Unlock()
	return v, nil
}

// PrepareCode unpacks a version before the store publishes it.
func (rt *Runtime) PrepareCode(ctx context.Context, v *picasso.CodeVersion, data []byte) error {
	_, err := rt.code.prepare(v, data)
	return err
}

// RememberCodeVersion tells the runtime a route's code version without a
// CodeSource, for benchmarks and tools that prepared it themselves.
func (rt *Runtime) RememberCodeVersion(route *picasso.Route, v *picasso.CodeVersion) {
	rt.code.mu.Lock()
	rt.code.versions[versionKey{route.AppID, route.Path, route.CreatedAt.UnixNano(), v.Version}] = v
	rt.code.mu.Unlock()
}
