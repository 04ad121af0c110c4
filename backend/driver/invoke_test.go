package driver

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/picasso-faas/picasso/internal/testenv"
)

// TestSendCallFailsAsClientDoWould: a failed call names the method and
// the URL, without the URL's password, in the *url.Error Client.Do gives.
func TestSendCallFailsAsClientDoWould(t *testing.T) {
	addr := testenv.RefusedAddr(t)
	client := NewHTTPClient(Options{})
	req, err := http.NewRequest("POST", "http://fn:s3cret@"+addr+"/r/app/hello", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = SendCall(client, req)
	var urlErr *url.Error
	if !errors.As(err, &urlErr) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("SendCall failed with %#v, want a *url.Error of a refused connection", err)
	}
	if want := `Post "http://fn:xxxxx@` + addr + `/r/app/hello": `; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q, want it to start with %q and hide the password", err, want)
	}
}
