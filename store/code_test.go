package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/picasso-faas/picasso"
)

func codeVersionOf(appID, path string, data []byte) *picasso.CodeVersion {
	sum := sha256.Sum256(data)
	return &picasso.CodeVersion{AppID: appID, Path: path, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Format: picasso.CodeZip}
}

func blobCount(t *testing.T, s *DB) int {
	t.Helper()
	var n int
	if err := s.db.Get(&n, `SELECT COUNT(*) FROM code_blobs`); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCodeStoredOnceAndReleased: identical uploads share one copy (in
// several chunks when large); versions count up; the bytes go with the
// last version that references them.
func TestCodeStoredOnceAndReleased(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s, err := Open(ctx, uri, Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		app := mustCreateApp(t, s, testApp("p1", "code"))
		mustCreateRoute(t, s, testRoute(app.ID, "/a"))
		mustCreateRoute(t, s, testRoute(app.ID, "/b"))
		big := bytes.Repeat([]byte("0123456789"), codeChunkSize/5) // two chunks

		for _, path := range []string{"/a", "/b"} {
			if err := s.PutCode(ctx, "p1", codeVersionOf(app.ID, path, big), big, picasso.Unlimited); err != nil {
				t.Fatal(err)
			}
		}
		if n := blobCount(t, s); n != 1 {
			t.Errorf("%d blobs for two identical uploads, want 1", n)
		}
		got, err := s.GetCode(ctx, app.ID, "/a")
		if err != nil || got.Version != 1 {
			t.Fatalf("GetCode: %+v, %v", got, err)
		}
		if data, err := s.ReadCode(ctx, got.SHA256); err != nil || !bytes.Equal(data, big) {
			t.Fatalf("ReadCode: %d bytes, %v", len(data), err)
		}

		small := []byte("PK small")
		if err := s.PutCode(ctx, "p1", codeVersionOf(app.ID, "/a", small), small, picasso.Unlimited); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetCode(ctx, app.ID, "/a"); got.Version != 2 || got.Size != int64(len(small)) {
			t.Errorf("after a new upload: %+v", got)
		}
		if route, _ := s.GetRoute(ctx, app.ID, "/a"); route.CodeVersion != 2 {
			t.Errorf("route runs version %d, want 2", route.CodeVersion)
		}
		if n := blobCount(t, s); n != 2 { // /b still references the big one
			t.Errorf("%d blobs, want 2", n)
		}
		if err := s.DeleteRoute(ctx, app.ID, "/b"); err != nil {
			t.Fatal(err)
		}
		if n := blobCount(t, s); n != 1 {
			t.Errorf("%d blobs after the last reference of one went, want 1", n)
		}
		if err := s.DeleteRoute(ctx, app.ID, "/a"); err != nil {
			t.Fatal(err)
		}
		var chunks int
		s.db.Get(&chunks, `SELECT COUNT(*) FROM code_chunks`)
		if n := blobCount(t, s); n != 0 || chunks != 0 {
			t.Errorf("%d blobs and %d chunks left after both routes went", n, chunks)
		}
		wantError(t, s.PutCode(ctx, "p1", codeVersionOf(app.ID, "/gone", small), small, picasso.Unlimited), picasso.ENOTFOUND, "Route /gone not found")
	})
}
