package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/codepkg"
)

// errNeedsLocal answers code uploads and runtimes on a backend that runs
// images only.
var errNeedsLocal = picasso.Errorf(picasso.EINVALID,
	"Runtime code needs the local runtime: this gateway's backend runs container images only (see GET /v1/capabilities)")

type codeView struct {
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Runtime   string `json:"runtime"`
	Handler   string `json:"handler"`
	CreatedAt string `json:"created_at"`
	Version   int64  `json:"version"`
	Format    string `json:"format"`
	FileName  string `json:"file_name,omitempty"`
}

type codeResponse struct {
	Code codeView `json:"code"`
}

// codeRunner is the backend as a runner of code, when it is one and the
// gateway has a code store.
func (s *Server) codeRunner() (picasso.CodeRunner, bool) {
	runner, ok := s.backend.(picasso.CodeRunner)
	return runner, ok && s.code != nil
}

// checkRuntime refuses a route's runtime and handler that the backend
// cannot run, before anything is written.
func (s *Server) checkRuntime(rt *picasso.Route) error {
	if rt.Runtime == "" {
		return nil
	}
	runner, ok := s.codeRunner()
	if !ok {
		return errNeedsLocal
	}
	return runner.CheckHandler(rt.Runtime, rt.Handler)
}

func (s *Server) newCodeView(rt *picasso.Route, v *picasso.CodeVersion) codeView {
	handler := rt.Handler
	if runner, ok := s.codeRunner(); ok && handler == "" {
		for _, info := range runner.Runtimes() {
			if info.Name == rt.Runtime {
				handler = info.DefaultHandler
			}
		}
	}
	return codeView{SHA256: v.SHA256, Size: v.Size, Runtime: rt.Runtime, Handler: handler,
		CreatedAt: formatTime(v.CreatedAt), Version: v.Version, Format: v.Format, FileName: v.FileName}
}

// codeFormat maps the upload's Content-Type to a package format.
func codeFormat(r *http.Request) (string, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/zip", "application/x-zip-compressed":
		return picasso.CodeZip, nil
	case "application/gzip", "application/x-gzip":
		return picasso.CodeTarGz, nil
	case "text/plain":
		return picasso.CodeFile, nil
	}
	return "", picasso.Errorf(picasso.EBADMEDIA,
		"Content-Type must be application/zip, application/gzip (a tar.gz archive) or text/plain (one source file, named by ?filename=)")
}

// handlePutCode checks the whole package before anything is written,
// unpacks it on this replica, then stores it, which makes the route run
// it: until then the previous version keeps serving.
func (s *Server) handlePutCode() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		runner, ok := s.codeRunner()
		if !ok {
			return errNeedsLocal
		}
		format, err := codeFormat(r)
		if err != nil {
			return err
		}
		fileName := r.URL.Query().Get("filename")
		if format == picasso.CodeFile {
			if err := codepkg.ValidateFileName(fileName); err != nil {
				return err
			}
		} else {
			fileName = ""
		}
		limits := s.cfg.CodeLimits
		if r.ContentLength > limits.MaxCompressed {
			return errCodeTooLarge(limits)
		}
		app, rt, unlock, err := s.lockedRouteOf(r)
		if err != nil {
			return err
		}
		defer unlock()
		if rt.Runtime == "" {
			return picasso.Errorf(picasso.EINVALID, "Route %s has no runtime: set its runtime (and handler) before uploading code", rt.Path)
		}
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limits.MaxCompressed))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return errCodeTooLarge(limits)
			}
			return picasso.Wrap(picasso.EINVALID, err, "Could not read the request body")
		}
		if len(data) == 0 {
			return picasso.Errorf(picasso.EINVALID, "Missing request body: the package")
		}
		if err := codepkg.Check(format, fileName, data, limits); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		v := &picasso.CodeVersion{AppID: app.ID, Path: rt.Path, SHA256: hex.EncodeToString(sum[:]),
			Size: int64(len(data)), Format: format, FileName: fileName}
		limit, err := s.limitOf(r.Context(), app.ProjectID, picasso.ResourceCodeBytes)
		if err != nil {
			return err
		}
		// Refused uploads must leave nothing on this replica's disk.
		if err := s.code.CodeRoom(r.Context(), app.ProjectID, v, limit); err != nil {
			return err
		}
		if err := runner.PrepareCode(r.Context(), v, data); err != nil {
			return picasso.Wrap(picasso.EUNAVAILABLE, err, "Code could not be unpacked on this gateway")
		}
		if err := s.code.PutCode(r.Context(), app.ProjectID, v, data, limit); err != nil {
			return err
		}
		s.routes.forget(app.BackendName, rt.Path)
		writeJSON(w, http.StatusOK, codeResponse{Code: s.newCodeView(rt, v)})
		return nil
	})
}

func errCodeTooLarge(limits codepkg.Limits) error {
	return picasso.Errorf(picasso.ETOOLARGE, "Package must be %d bytes or less", limits.MaxCompressed)
}

func (s *Server) handleGetCode() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if _, ok := s.codeRunner(); !ok {
			return errNeedsLocal
		}
		app, rt, err := s.routeOf(r)
		if err != nil {
			return err
		}
		v, err := s.code.GetCode(r.Context(), app.ID, rt.Path)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, codeResponse{Code: s.newCodeView(rt, v)})
		return nil
	})
}

type runtimesResponse struct {
	Runtimes []picasso.RuntimeInfo `json:"runtimes"`
}

func (s *Server) handleRuntimes() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		list := []picasso.RuntimeInfo{}
		if runner, ok := s.codeRunner(); ok {
			list = append(list, runner.Runtimes()...)
		}
		writeJSON(w, http.StatusOK, runtimesResponse{Runtimes: list})
		return nil
	})
}

func (s *Server) handleCapabilities() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		_, code := s.codeRunner()
		writeJSON(w, http.StatusOK, picasso.Capabilities{Backend: s.backendName, Images: true, Code: code, Async: s.calls != nil})
		return nil
	})
}
