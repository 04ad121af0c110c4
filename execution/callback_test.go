package execution_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/internal/testenv"
	"github.com/picasso-faas/picasso/internal/testlog"
	"github.com/picasso-faas/picasso/store"
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
		f := newFixture(t, uri, map[string]string{"echo": "printf 'done:'; cat"}, execution.WorkerConfig{}, nil)
		f.sendCallbacks(execution.CallbackConfig{AllowPrivate: true}, keys)
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
	f := newFixture(t, testdb.SQLiteURI(t), map[string]string{"echo": "cat"}, execution.WorkerConfig{}, nil)
	f.sendCallbacks(execution.CallbackConfig{AllowPrivate: true,
		Backoff: execution.Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond}}, nil)
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
	if call := f.waitCallback(call.ID, picasso.CallbackDelivered); call.CallbackAttempts != 3 || call.CallbackError != "" {
		t.Errorf("delivered after %d attempts with error %q, want 3 and none", call.CallbackAttempts, call.CallbackError)
	}
}

func TestUndeliveredCallbackNamesNoSecret(t *testing.T) {
	target := "http://" + testenv.RefusedAddr(t) + "/hook?token=s3cret"
	f := newFixture(t, testdb.SQLiteURI(t), map[string]string{"echo": "cat"}, execution.WorkerConfig{}, nil)
	var logs testlog.Buffer
	f.sendCallbacks(execution.CallbackConfig{AllowPrivate: true, Attempts: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Backoff: execution.Backoff{Base: time.Millisecond, Cap: time.Millisecond}}, nil)
	r := f.route("/echo", "echo", nil)
	r.CallbackURL = target
	if err := f.db.UpdateRoute(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	call := f.enqueue(r, "x")
	f.startWorker()
	failed := f.waitCallback(call.ID, picasso.CallbackFailed)
	if failed.CallbackAttempts != 2 || !strings.Contains(failed.CallbackError, "refused") {
		t.Errorf("failed after %d attempts with %q, want 2 and the dial's error", failed.CallbackAttempts, failed.CallbackError)
	}
	// The sender logs the failure just after it recorded it.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "callback not delivered"); {
		if time.Now().After(deadline) {
			t.Fatalf("the failed callback was not logged:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(failed.CallbackError, "s3cret") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("the callback URL's secret was recorded or logged: %q\n%s", failed.CallbackError, logs.String())
	}
}

func TestCallbackToPrivateAddressIsRefused(t *testing.T) {
	srv, got := receiver(t)
	f := newFixture(t, testdb.SQLiteURI(t), map[string]string{"echo": "cat"}, execution.WorkerConfig{}, nil)
	outcomes := make(chan string, 1)
	f.sendCallbacks(execution.CallbackConfig{}, nil).Observe(func(outcome string) { outcomes <- outcome })
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

// finishedWithoutSender runs n calls of a route with a callback URL to
// srv on a replica that sends no callbacks, as one that dies once its
// calls are recorded.
func finishedWithoutSender(t *testing.T, uri, url string, n int) (*fixture, []string) {
	f := newFixture(t, uri, map[string]string{"echo": "cat"}, execution.WorkerConfig{}, nil)
	r := f.route("/echo", "echo", nil)
	r.CallbackURL = url
	if err := f.db.UpdateRoute(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		ids = append(ids, f.enqueue(r, strconv.Itoa(i)).ID)
	}
	f.startWorker()
	for _, id := range ids {
		if call := f.waitFor(id, picasso.CallSucceeded); call.CallbackStatus != picasso.CallbackPending {
			t.Fatalf("a finished call's callback is %q, want pending", call.CallbackStatus)
		}
	}
	return f, ids
}

// sender runs a callback sender of another replica on its own connection
// to uri until the test ends.
func sender(t *testing.T, uri string) {
	db, err := store.Open(t.Context(), uri, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	callbacks := execution.NewCallbacks(execution.CallbackConfig{AllowPrivate: true, PollInterval: 20 * time.Millisecond}, nil, db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		callbacks.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func TestCallbackOutlivesTheReplicaThatRanTheCall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		srv, got := receiver(t)
		f, ids := finishedWithoutSender(t, uri, srv.URL, 1)
		sender(t, uri)
		select {
		case cb := <-got:
			if cb.header.Get("X-Picasso-Call-Id") != ids[0] {
				t.Errorf("callback for %q, want %s", cb.header.Get("X-Picasso-Call-Id"), ids[0])
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the other replica never sent the callback")
		}
		if call := f.waitCallback(ids[0], picasso.CallbackDelivered); call.CallbackAttempts != 1 {
			t.Errorf("delivered after %d attempts, want 1", call.CallbackAttempts)
		}
	})
}

func TestCallbackOfAVanishedSenderIsSentAgain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		srv, got := receiver(t)
		f, ids := finishedWithoutSender(t, uri, srv.URL, 1)
		// A sender claims the callback and dies before sending it.
		if claimed, err := f.db.ClaimCallbacks(t.Context(), 10, 300*time.Millisecond); err != nil || len(claimed) != 1 {
			t.Fatalf("ClaimCallbacks: %d, %v", len(claimed), err)
		}
		sender(t, uri)
		call := f.waitCallback(ids[0], picasso.CallbackDelivered)
		if call.CallbackAttempts != 2 {
			t.Errorf("delivered at attempt %d, want 2: the vanished sender's, then this one's", call.CallbackAttempts)
		}
		if len(got) != 1 {
			t.Errorf("%d callbacks arrived, want 1", len(got))
		}
	})
}

func TestTwoReplicasSendEachCallbackOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		var mu sync.Mutex
		seen := map[string]int{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[r.Header.Get("X-Picasso-Call-Id")]++
			mu.Unlock()
		}))
		t.Cleanup(srv.Close)
		f, ids := finishedWithoutSender(t, uri, srv.URL, 20)
		sender(t, uri)
		sender(t, uri)
		for _, id := range ids {
			f.waitCallback(id, picasso.CallbackDelivered)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if seen[id] != 1 {
				t.Errorf("call %s's callback arrived %d times, want once", id, seen[id])
			}
		}
	})
}
