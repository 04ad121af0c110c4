package keystone_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testclock"
	"github.com/picasso-faas/picasso/internal/testenv"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

func fakeOptions(url string, clock *testclock.Clock) keystone.Options {
	return keystone.Options{
		AuthURL:  url,
		Username: "picasso",
		Password: "secret",
		CacheTTL: keystone.DefaultCacheTTL,
		Timeout:  2 * time.Second,
		Logger:   slog.New(slog.DiscardHandler),
		Now:      clock.Now,
	}
}

func newValidator(t testing.TB, opts keystone.Options) *keystone.Validator {
	t.Helper()
	v, err := keystone.NewValidator(t.Context(), opts)
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

func wantCode(t *testing.T, err error, code picasso.Code, message string) {
	t.Helper()
	if !picasso.IsCode(err, code) {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	if message != "" && picasso.ErrorMessage(err) != message {
		t.Fatalf("message = %q, want %q", picasso.ErrorMessage(err), message)
	}
}

func TestAuthenticateReturnsIdentity(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	expires := clock.Now().Add(time.Hour).Truncate(time.Microsecond)
	f.SetToken("user-token", map[string]any{
		"expires_at":             expires.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"methods":                []string{"application_credential"},
		"is_domain":              false,
		"user":                   map[string]any{"id": "u1", "name": "alice", "domain": map[string]string{"id": "d-user"}},
		"project":                map[string]any{"id": "p1", "name": "proj", "domain": map[string]string{"id": "d-proj"}},
		"roles":                  []map[string]string{{"id": "r1", "name": "member"}, {"id": "r2", "name": "reader"}},
		"application_credential": map[string]any{"id": "ac1", "restricted": true},
		"OS-TRUST:trust":         map[string]any{"id": "trust1", "impersonation": true},
	})
	v := newValidator(t, fakeOptions(f.URL(), clock))

	id, err := v.Authenticate(t.Context(), "user-token")
	if err != nil {
		t.Fatal(err)
	}
	want := picasso.Identity{
		UserID: "u1", UserName: "alice", UserDomainID: "d-user",
		ProjectID: "p1", ProjectName: "proj", ProjectDomainID: "d-proj",
		Roles: []string{"member", "reader"}, Methods: []string{"application_credential"},
		AppCredentialID: "ac1", TrustID: "trust1",
	}
	if !id.ExpiresAt.Equal(expires) {
		t.Errorf("ExpiresAt = %v, want %v", id.ExpiresAt, expires)
	}
	id2 := *id
	id2.ExpiresAt = time.Time{}
	if fmt.Sprint(id2) != fmt.Sprint(want) {
		t.Errorf("identity = %+v\nwant       %+v", id2, want)
	}
}

func TestNonProjectTokensHaveNoProject(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	expires := clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	f.SetToken("unscoped", map[string]any{"expires_at": expires, "user": map[string]any{"id": "u1"}})
	f.SetToken("domain", map[string]any{"expires_at": expires, "user": map[string]any{"id": "u1"},
		"domain": map[string]any{"id": "d1"}, "roles": []map[string]string{{"name": "admin"}}})
	f.SetToken("is-domain", map[string]any{"expires_at": expires, "user": map[string]any{"id": "u1"}, "is_domain": true,
		"project": map[string]any{"id": "d1"}, "roles": []map[string]string{{"name": "admin"}}})
	v := newValidator(t, fakeOptions(f.URL(), clock))
	for _, token := range []string{"unscoped", "domain", "is-domain"} {
		id, err := v.Authenticate(t.Context(), token)
		if err != nil {
			t.Fatalf("%s: %v", token, err)
		}
		if id.ProjectID != "" {
			t.Errorf("%s: ProjectID = %q, want empty", token, id.ProjectID)
		}
		err = keystone.DefaultPolicy().Authorize(id, "d1", picasso.ActionRead)
		wantCode(t, err, picasso.EFORBIDDEN, "Token is not scoped to a project")
	}
}

func TestMissingAndInvalidTokens(t *testing.T) {
	f := keystonetest.StartFake(t)
	v := newValidator(t, fakeOptions(f.URL(), testclock.New()))

	_, err := v.Authenticate(t.Context(), "")
	wantCode(t, err, picasso.EUNAUTHENTICATED, "Missing X-Auth-Token")
	_, err = v.Authenticate(t.Context(), "garbage")
	wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")
	_, err = v.Authenticate(t.Context(), strings.Repeat("x", keystone.MaxTokenSize+1))
	wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")
	if n := f.Validations.Load(); n != 1 {
		t.Errorf("Keystone saw %d validations, want 1 (the oversized token is not sent)", n)
	}
	if s := v.Stats(); s.Invalid != 2 {
		t.Errorf("Stats().Invalid = %d, want 2", s.Invalid)
	}
}

func TestReauthenticatesOnceWhenServiceTokenIsRefused(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	f.AddToken("user-token", "p1", clock.Now().Add(time.Hour), "member")
	v := newValidator(t, fakeOptions(f.URL(), clock))
	if n := f.Logins.Load(); n != 1 {
		t.Fatalf("logins at start = %d, want 1", n)
	}
	f.ExpireLogins()

	if _, err := v.Authenticate(t.Context(), "user-token"); err != nil {
		t.Fatalf("after the service token expired: %v", err)
	}
	if n := f.Logins.Load(); n != 2 {
		t.Errorf("logins = %d, want 2", n)
	}
}

func TestKeystoneFailuresAreUnavailable(t *testing.T) {
	cases := map[string]func(f *keystonetest.Fake){
		"401 after re-login": func(f *keystonetest.Fake) { f.RefuseServiceTokens(true) },
		"403":                func(f *keystonetest.Fake) { f.FailValidations(http.StatusForbidden) },
		"500":                func(f *keystonetest.Fake) { f.FailValidations(http.StatusInternalServerError) },
		"503":                func(f *keystonetest.Fake) { f.FailValidations(http.StatusServiceUnavailable) },
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			f := keystonetest.StartFake(t)
			clock := testclock.New()
			f.AddToken("user-token", "p1", clock.Now().Add(time.Hour), "member")
			v := newValidator(t, fakeOptions(f.URL(), clock))
			breakIt(f)
			_, err := v.Authenticate(t.Context(), "user-token")
			wantCode(t, err, picasso.EUNAVAILABLE, "Identity service unavailable")
			// Not cached as invalid: once Keystone recovers the token works.
			f.FailValidations(0)
			f.RefuseServiceTokens(false)
			if _, err := v.Authenticate(t.Context(), "user-token"); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
			if s := v.Stats(); s.Unavailable != 1 || s.Invalid != 0 {
				t.Errorf("stats = %+v, want 1 unavailable, 0 invalid", s)
			}
		})
	}
}

func TestSlowKeystoneTimesOut(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	f.AddToken("user-token", "p1", clock.Now().Add(time.Hour), "member")
	opts := fakeOptions(f.URL(), clock)
	opts.Timeout = 100 * time.Millisecond
	v := newValidator(t, opts)
	gate := make(chan struct{})
	defer close(gate)
	f.HoldValidations(gate)

	start := time.Now()
	_, err := v.Authenticate(t.Context(), "user-token")
	wantCode(t, err, picasso.EUNAVAILABLE, "Identity service unavailable")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %v despite a 100ms timeout", elapsed)
	}
}

func TestKeystoneDownAtStartup(t *testing.T) {
	addr := testenv.RefusedAddr(t)
	clock := testclock.New()
	v := newValidator(t, fakeOptions("http://"+addr+"/v3", clock))

	_, err := v.Authenticate(t.Context(), "user-token")
	wantCode(t, err, picasso.EUNAVAILABLE, "Identity service unavailable")

	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	f := keystonetest.NewFake()
	srv := &http.Server{Handler: f}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	f.AddToken("user-token", "p1", clock.Now().Add(time.Hour), "member")
	if _, err := v.Authenticate(t.Context(), "user-token"); err != nil {
		t.Fatalf("once Keystone is up: %v", err)
	}
}

func TestCacheLastsTTLButNotPastExpiry(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	f.AddToken("long", "p1", clock.Now().Add(time.Hour), "member")
	f.AddToken("short", "p1", clock.Now().Add(time.Minute), "member")
	v := newValidator(t, fakeOptions(f.URL(), clock))

	for _, tok := range []string{"long", "short"} {
		if _, err := v.Authenticate(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(59 * time.Second)
	for _, tok := range []string{"long", "short"} {
		if _, err := v.Authenticate(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Validations.Load(); n != 2 {
		t.Fatalf("validations = %d, want 2 (both cached)", n)
	}

	clock.Advance(2 * time.Second) // "short" expired; the fake still says 200
	_, err := v.Authenticate(t.Context(), "short")
	wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")

	clock.Advance(keystone.DefaultCacheTTL - 61*time.Second - time.Millisecond)
	if _, err := v.Authenticate(t.Context(), "long"); err != nil {
		t.Fatal(err)
	}
	if n := f.Validations.Load(); n != 3 {
		t.Fatalf("validations = %d, want 3 (long still cached just before the TTL)", n)
	}
	clock.Advance(time.Millisecond)
	if _, err := v.Authenticate(t.Context(), "long"); err != nil {
		t.Fatal(err)
	}
	if n := f.Validations.Load(); n != 4 {
		t.Fatalf("validations = %d, want 4 (TTL over)", n)
	}
	if s := v.Stats(); s.CacheHits != 3 || s.Validations != 4 {
		t.Errorf("stats = %+v, want 3 hits, 4 validations", s)
	}
}

func TestZeroTTLDisablesCache(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	f.AddToken("user-token", "p1", clock.Now().Add(time.Hour), "member")
	opts := fakeOptions(f.URL(), clock)
	opts.CacheTTL = 0
	v := newValidator(t, opts)
	for range 3 {
		if _, err := v.Authenticate(t.Context(), "user-token"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Validations.Load(); n != 3 {
		t.Errorf("validations = %d, want 3", n)
	}
}

func TestNegativeCacheIsShortAndBounded(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	opts := fakeOptions(f.URL(), clock)
	opts.CacheSize = 4
	v := newValidator(t, opts)

	for range 3 {
		_, err := v.Authenticate(t.Context(), "bad")
		wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")
	}
	if n := f.Validations.Load(); n != 1 {
		t.Fatalf("validations = %d, want 1", n)
	}
	clock.Advance(keystone.NegativeCacheTTL)
	_, err := v.Authenticate(t.Context(), "bad")
	wantCode(t, err, picasso.EUNAUTHENTICATED, "")
	if n := f.Validations.Load(); n != 2 {
		t.Fatalf("validations = %d, want 2 after the negative TTL", n)
	}
	for i := range 20 {
		v.Authenticate(t.Context(), fmt.Sprintf("bad-%d", i))
	}
	if n := keystone.RejectedLen(v); n > 4 {
		t.Errorf("negative cache holds %d entries, limit 4", n)
	}
	if s := v.Stats(); s.NegativeHits != 2 || s.Invalid != 24 {
		t.Errorf("stats = %+v, want 2 negative hits, 24 invalid", s)
	}
}

func TestCacheIsBounded(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	opts := fakeOptions(f.URL(), clock)
	opts.CacheSize = 3
	v := newValidator(t, opts)
	for i := range 10 {
		tok := fmt.Sprintf("token-%d", i)
		f.AddToken(tok, "p1", clock.Now().Add(time.Hour), "member")
		if _, err := v.Authenticate(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		if n := keystone.CacheLen(v); n > 3 {
			t.Fatalf("cache holds %d entries, limit 3", n)
		}
	}
	if n := keystone.CacheLen(v); n != 3 {
		t.Errorf("cache holds %d entries, want 3", n)
	}
}

func TestConcurrentFirstRequestsShareOneValidation(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	f.AddToken("user-token", "p1", clock.Now().Add(time.Hour), "member")
	v := newValidator(t, fakeOptions(f.URL(), clock))
	gate := make(chan struct{})
	f.HoldValidations(gate)

	var started, done sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			_, err := v.Authenticate(t.Context(), "user-token")
			errs <- err
		}()
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // let the goroutines reach the validator
	close(gate)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Validations.Load(); n != 1 {
		t.Errorf("Keystone saw %d validations, want 1", n)
	}
	if n := v.Stats().Validations; n != 1 {
		t.Errorf("Stats().Validations = %d, want 1", n)
	}
}

func TestCallerCancellationDoesNotCancelSharedValidation(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	f.AddToken("user-token", "p1", clock.Now().Add(time.Hour), "member")
	v := newValidator(t, fakeOptions(f.URL(), clock))
	gate := make(chan struct{})
	f.HoldValidations(gate)

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := v.Authenticate(ctx, "user-token")
		first <- err
	}()
	for f.Validations.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		_, err := v.Authenticate(t.Context(), "user-token")
		second <- err
	}()
	cancel()
	wantCode(t, <-first, picasso.EUNAVAILABLE, "")
	close(gate)
	if err := <-second; err != nil {
		t.Fatalf("the other waiter failed too: %v", err)
	}
}

func TestRequestIDIsForwarded(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	f.AddToken("user-token", "p1", clock.Now().Add(time.Hour), "member")
	v := newValidator(t, fakeOptions(f.URL(), clock))
	ctx := picasso.WithRequestID(t.Context(), "req-123")
	if _, err := v.Authenticate(ctx, "user-token"); err != nil {
		t.Fatal(err)
	}
	if ids := f.RequestIDs(); len(ids) != 1 || ids[0] != "req-123" {
		t.Errorf("request ids = %q, want [req-123]", ids)
	}
}

func TestTokensNeverLogged(t *testing.T) {
	f := keystonetest.StartFake(t)
	clock := testclock.New()
	const valid, invalid, failing = "VALID-SECRET-TOKEN", "INVALID-SECRET-TOKEN", "FAILING-SECRET-TOKEN"
	f.AddToken(valid, "p1", clock.Now().Add(time.Hour), "member")
	var logs bytes.Buffer
	opts := fakeOptions(f.URL(), clock)
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := newValidator(t, opts)

	var errs []error
	for _, tok := range []string{valid, invalid} {
		_, err := v.Authenticate(t.Context(), tok)
		errs = append(errs, err)
	}
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusInternalServerError} {
		f.FailValidations(status)
		_, err := v.Authenticate(t.Context(), failing)
		errs = append(errs, err)
	}
	f.FailValidations(0)
	f.RefuseServiceTokens(true)
	_, err := v.Authenticate(t.Context(), failing)
	errs = append(errs, err)

	if logs.Len() == 0 {
		t.Fatal("nothing was logged; the test would prove nothing")
	}
	full := logs.String() + fmt.Sprint(errs)
	for _, tok := range []string{valid, invalid, failing} {
		if strings.Contains(full, tok) {
			t.Errorf("a token appears in the logs or errors:\n%s", full)
		}
	}
}

func TestNewValidatorChecksOptions(t *testing.T) {
	cases := map[string]keystone.Options{
		"no url":         {Username: "u", Password: "p"},
		"bad url":        {AuthURL: "ftp://x", Username: "u", Password: "p"},
		"no credentials": {AuthURL: "http://127.0.0.1:1/v3"},
	}
	for name, opts := range cases {
		if _, err := keystone.NewValidator(t.Context(), opts); err == nil {
			t.Errorf("%s: NewValidator succeeded", name)
		}
	}
}

func TestErrorsAreClientSafe(t *testing.T) {
	f := keystonetest.StartFake(t)
	v := newValidator(t, fakeOptions(f.URL(), testclock.New()))
	f.FailValidations(http.StatusInternalServerError)
	_, err := v.Authenticate(t.Context(), "user-token")
	var pe *picasso.Error
	if !errors.As(err, &pe) || pe.Err == nil {
		t.Fatalf("error %v should keep its cause for the logs", err)
	}
	if msg := picasso.ErrorMessage(err); strings.Contains(msg, "500") || strings.Contains(msg, "fake") {
		t.Errorf("client message leaks internals: %q", msg)
	}
}
