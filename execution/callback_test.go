package execution_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/testdb"
)

type received struct {
	header http.Header
	body   []byte
}

func receiver(t *testing.T) (*httptest.Server, chan received) {
	got := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), body}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// verify checks a callback's signature the way a receiver would, from
// the documented scheme alone.
func verify(t *testing.T, key string, r received) {
	t.Helper()
	timestamp := r.header.Get("X-Picasso-Timestamp")
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || time.Since(time.Unix(seconds, 0)).Abs() > time.Minute {
		t.Fatalf("timestamp %q", timestamp)
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(timestamp + "."))
	mac.Write(r.body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(r.header.Get("X-Picasso-Signature"))) {
		t.Fatalf("signature %q, want %q", r.header.Get("X-Picasso-Signature"), want)
	}
}

func TestCallbackIsDeliveredSigned(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		srv, got := receiver(t)
		keys := execution.NewCallbackKeys("operator secret")
		callbacks := execution.NewCallbacks(execution.CallbackConfig{AllowPrivate: true}, keys)
		f := newFixture(t, uri, map[string]string{"echo": "printf 'done:'; cat"}, execution.WorkerConfig{}, callbacks)
		r := f.route("/echo", "echo", nil)
		r.CallbackURL = srv.URL + "/hook"
		if err := f.db.UpdateRoute(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		call := f.enqueue(r, "x")
		f.startWorker()

		var cb received
		select {
		case cb = <-got:
		case <-time.After(20 * time.Second):
			t.Fatal("no callback arrived")
		}
		key, _ := keys.CallbackKey(project)
		verify(t, key, cb)
		if other, _ := keys.CallbackKey("fedcba9876543210fedcba9876543210"); other == key {
			t.Error("two projects share a callback key")
		}
		var body map[string]any
		if err := json.Unmarshal(cb.body, &body); err != nil {
			t.Fatal(err)
		}
		if body["call_id"] != call.ID || body["status"] != "succeeded" || body["result"] != "done:x" ||
			cb.header.Get("X-Picasso-Call-Id") != call.ID || cb.header.Get("X-Picasso-Call-Status") != "succeeded" {
			t.Errorf("callback %v %s", cb.header, cb.body)
		}
	})
}

func TestCallbackRetriesAndPerCallURL(t *testing.T) {
	failures := 2
	got := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- struct{}{}
		if failures > 0 {
			failures--
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	callbacks := execution.NewCallbacks(execution.CallbackConfig{AllowPrivate: true,
		Backoff: execution.Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond}}, nil)
	f := newFixture(t, testdb.SQLiteURI(t), map[string]string{"echo": "cat"}, execution.WorkerConfig{}, callbacks)
	r := f.route("/echo", "echo", nil)
	call, _, err := f.enqueuer.Enqueue(t.Context(), &picasso.CallRecord{ProjectID: project, AppID: f.app.ID,
		AppName: f.app.Name, RoutePath: r.Path, CallbackURL: srv.URL, Request: picasso.CallRequest{Method: "POST"}})
	if err != nil {
		t.Fatal(err)
	}
	f.startWorker()
	f.waitFor(call.ID, picasso.CallSucceeded)
	for i := 0; i < 3; i++ {
		select {
		case <-got:
		case <-time.After(20 * time.Second):
			t.Fatalf("callback delivery %d never came", i+1)
		}
	}
}

func TestCallbackToPrivateAddressIsRefused(t *testing.T) {
	srv, got := receiver(t)
	callbacks := execution.NewCallbacks(execution.CallbackConfig{}, nil)
	outcomes := make(chan string, 1)
	callbacks.Observe(func(outcome string) { outcomes <- outcome })
	f := newFixture(t, testdb.SQLiteURI(t), map[string]string{"echo": "cat"}, execution.WorkerConfig{}, callbacks)
	r := f.route("/echo", "echo", nil)
	r.CallbackURL = srv.URL // 127.0.0.1
	if err := f.db.UpdateRoute(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	call := f.enqueue(r, "x")
	f.startWorker()
	f.waitFor(call.ID, picasso.CallSucceeded)
	select {
	case outcome := <-outcomes:
		if outcome != "failed" {
			t.Errorf("callback to a loopback address: %s", outcome)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the callback was neither sent nor refused")
	}
	if len(got) != 0 {
		t.Fatal("a callback reached a loopback address")
	}
}
