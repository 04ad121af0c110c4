package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/openapi"
)

// decodeBody reads a management request's JSON body, validates it against
// the operation's schema in the OpenAPI document and decodes it into dst.
func (s *Server) decodeBody(r *http.Request, operationID string, dst any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	raw, err := s.readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return picasso.Errorf(picasso.EINVALID, "Missing request body")
	}
	return decodeJSON(raw, operationID, dst)
}

// decodeOptionalBody is decodeBody for a body the client may leave out:
// absent or empty (whatever its Content-Type), dst keeps its defaults.
func (s *Server) decodeOptionalBody(r *http.Request, operationID string, dst any) error {
	raw, err := s.readBody(r)
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		return err
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	return decodeJSON(raw, operationID, dst)
}

func (s *Server) readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.MaxAPIBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, picasso.Errorf(picasso.ETOOLARGE, "Request body must be %d bytes or less", s.cfg.MaxAPIBodyBytes)
		}
		return nil, picasso.Wrap(picasso.EINVALID, err, "Could not read the request body")
	}
	return raw, nil
}

// decodeJSON validates raw against the operation's schema and decodes it
// into dst. The schema gives the messages (unknown field, wrong type); the
// second decode only fills Go values from an already-valid document.
func decodeJSON(raw []byte, operationID string, dst any) error {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return picasso.Wrap(picasso.EINVALID, err, "Invalid JSON in request body")
	}
	if dec.More() {
		return picasso.Errorf(picasso.EINVALID, "Invalid JSON in request body: trailing data after the object")
	}
	if err := openapi.ValidateBody(operationID, doc); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return picasso.Wrap(picasso.EINVALID, err, "Invalid request body")
	}
	return nil
}

var errNotJSON = picasso.Errorf(picasso.EBADMEDIA, "Content-Type must be application/json")

// requireJSON accepts application/json with or without parameters.
func requireJSON(r *http.Request) error {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return errNotJSON
	}
	return nil
}

// flexBool is a boolean that also accepts the strings "true" and "false",
// which python-picassoclient sends for is_public.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case `true`, `"true"`:
		*b = true
	case `false`, `"false"`:
		*b = false
	default:
		return errors.New(`must be true, false, "true" or "false"`)
	}
	return nil
}
