package keystone_test

import (
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testclock"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// These tests run against the real Keystone of scripts/keystone.sh.

func realValidator(t *testing.T, env *keystonetest.Env, change func(*keystone.Options)) *keystone.Validator {
	t.Helper()
	opts := env.ServiceOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	if change != nil {
		change(&opts)
	}
	return newValidator(t, opts)
}

// authorize runs a request the way the gateway does: authenticate, then
// ask the default policy.
func authorize(t *testing.T, v *keystone.Validator, token, project string, action picasso.Action) error {
	t.Helper()
	id, err := v.Authenticate(t.Context(), token)
	if err != nil {
		return err
	}
	return keystone.DefaultPolicy().Authorize(id, project, action)
}

func wantAllowed(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v, want allowed", what, err)
	}
}

func wantRefused(t *testing.T, err error, code picasso.Code, what string) {
	t.Helper()
	if !picasso.IsCode(err, code) {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func TestRealKeystoneRoles(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	v := realValidator(t, env, nil)
	own, other := env.NewProject(t), env.NewProject(t)
	member := env.NewUser(t, own, "member").Token(t)
	reader := env.NewUser(t, own, "reader").Token(t)
	admin := env.AdminToken(t)

	wantAllowed(t, authorize(t, v, member, own.ID, picasso.ActionWrite), "member writes its project")
	wantAllowed(t, authorize(t, v, member, own.ID, picasso.ActionInvoke), "member invokes in its project")
	wantRefused(t, authorize(t, v, member, other.ID, picasso.ActionRead), picasso.EFORBIDDEN, "member on another project")
	wantAllowed(t, authorize(t, v, reader, own.ID, picasso.ActionRead), "reader reads")
	wantRefused(t, authorize(t, v, reader, own.ID, picasso.ActionWrite), picasso.EFORBIDDEN, "reader writes")
	wantAllowed(t, authorize(t, v, admin, other.ID, picasso.ActionWrite), "admin on any project")

	id, err := v.Authenticate(t.Context(), member)
	if err != nil {
		t.Fatal(err)
	}
	// Keystone lists implied roles: member implies reader.
	if id.ProjectID != own.ID || !id.HasRole("member") || !id.HasRole("reader") ||
		!slices.Equal(id.Methods, []string{"password"}) || id.UserID == "" || id.ExpiresAt.IsZero() {
		t.Errorf("identity = %+v", id)
	}
}

func TestRealKeystoneRejectsBadTokens(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	clock := testclock.New()
	v := realValidator(t, env, func(o *keystone.Options) { o.Now = clock.Now })

	_, err := v.Authenticate(t.Context(), "garbage")
	wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")

	unscoped := env.UnscopedToken(t)
	err = authorize(t, v, unscoped, env.NewProject(t).ID, picasso.ActionRead)
	wantCode(t, err, picasso.EFORBIDDEN, "Token is not scoped to a project")

	// Expired: Keystone issues tokens for an hour; move past that. (Two
	// hours: the token is issued after the clock was read, seconds later
	// on a loaded machine, so an hour and a second may not be past it.)
	project := env.NewProject(t)
	token := env.NewUser(t, project, "member").Token(t)
	if _, err := v.Authenticate(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	_, err = v.Authenticate(t.Context(), token)
	wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")
}

func TestRealKeystoneRevocation(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	project := env.NewProject(t)
	user := env.NewUser(t, project, "member")

	t.Run("uncached", func(t *testing.T) {
		v := realValidator(t, env, func(o *keystone.Options) { o.CacheTTL = 0 })
		token := user.Token(t)
		if _, err := v.Authenticate(t.Context(), token); err != nil {
			t.Fatal(err)
		}
		env.Revoke(t, token)
		_, err := v.Authenticate(t.Context(), token)
		wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")
	})
	t.Run("cached until the TTL", func(t *testing.T) {
		clock := testclock.New()
		v := realValidator(t, env, func(o *keystone.Options) { o.Now = clock.Now })
		token := user.Token(t)
		if _, err := v.Authenticate(t.Context(), token); err != nil {
			t.Fatal(err)
		}
		env.Revoke(t, token)
		// keystonemiddleware's trade-off: a cached token outlives its revocation.
		if _, err := v.Authenticate(t.Context(), token); err != nil {
			t.Fatalf("within the TTL: %v", err)
		}
		clock.Advance(keystone.DefaultCacheTTL + time.Second)
		_, err := v.Authenticate(t.Context(), token)
		wantCode(t, err, picasso.EUNAUTHENTICATED, "Invalid or expired token")
	})
}

func TestRealKeystoneApplicationCredential(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	v := realValidator(t, env, nil)
	project := env.NewProject(t)
	token := env.AppCredentialToken(t, env.NewUser(t, project, "member"))

	id, err := v.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	if id.AppCredentialID == "" || !slices.Equal(id.Methods, []string{"application_credential"}) {
		t.Errorf("identity = %+v, want an application credential token", id)
	}
	wantAllowed(t, keystone.DefaultPolicy().Authorize(id, project.ID, picasso.ActionInvoke), "app credential invokes")
}

func TestRealKeystoneTrustToken(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	v := realValidator(t, env, nil)
	project := env.NewProject(t)
	trustor := env.NewUser(t, project, "member")
	token := env.TrustToken(t, trustor)

	id, err := v.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	if id.TrustID == "" || id.UserID != trustor.ID || id.ProjectID != project.ID {
		t.Errorf("identity = %+v, want the trustor %s on %s through a trust", id, trustor.ID, project.ID)
	}
	wantAllowed(t, keystone.DefaultPolicy().Authorize(id, project.ID, picasso.ActionInvoke), "trust token invokes")
	wantRefused(t, keystone.DefaultPolicy().Authorize(id, env.NewProject(t).ID, picasso.ActionInvoke),
		picasso.EFORBIDDEN, "trust token on another project")
}

func TestRealKeystoneConcurrentFirstRequests(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	v := realValidator(t, env, nil)
	token := env.NewUser(t, env.NewProject(t), "member").Token(t)

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			_, err := v.Authenticate(t.Context(), token)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s := v.Stats(); s.Validations != 1 {
		t.Errorf("Stats().Validations = %d, want 1", s.Validations)
	}
}

func TestRealKeystoneOutageAndRecovery(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	u, err := url.Parse(env.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	fwd := newForwarder(t, u.Host)
	v := realValidator(t, env, func(o *keystone.Options) {
		o.AuthURL = "http://" + fwd.addr + u.Path
		o.CacheTTL = 0
		o.Timeout = 2 * time.Second
	})
	token := env.NewUser(t, env.NewProject(t), "member").Token(t)
	if _, err := v.Authenticate(t.Context(), token); err != nil {
		t.Fatal(err)
	}

	fwd.stop()
	_, err = v.Authenticate(t.Context(), token)
	wantCode(t, err, picasso.EUNAVAILABLE, "Identity service unavailable")

	fwd.start(t)
	if _, err := v.Authenticate(t.Context(), token); err != nil {
		t.Fatalf("after Keystone came back: %v", err)
	}
}

// forwarder stands between a validator and Keystone so that a test can
// take "Keystone" away without stopping the one other tests share.
type forwarder struct {
	addr, target string

	mu    sync.Mutex
	l     net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newForwarder(t *testing.T, target string) *forwarder {
	f := &forwarder{addr: "127.0.0.1:0", target: target, conns: map[net.Conn]struct{}{}}
	f.start(t)
	t.Cleanup(f.stop)
	return f
}

func (f *forwarder) start(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatalf("forwarder: %v", err)
	}
	f.mu.Lock()
	f.l, f.addr = l, l.Addr().String()
	f.mu.Unlock()
	f.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.wg.Go(func() { f.pipe(c) })
		}
	})
}

func (f *forwarder) pipe(client net.Conn) {
	upstream, err := net.Dial("tcp", f.target)
	if err != nil {
		client.Close()
		return
	}
	if !f.track(client, upstream) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(upstream, client); done <- struct{}{} }()
	go func() { io.Copy(client, upstream); done <- struct{}{} }()
	<-done
	client.Close()
	upstream.Close()
	<-done
}

// track registers the connections unless the forwarder stopped meanwhile.
func (f *forwarder) track(conns ...net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.l == nil {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		f.conns[c] = struct{}{}
	}
	return true
}

// stop closes the listener and every connection, as a Keystone that went
// down would, and waits for the goroutines.
func (f *forwarder) stop() {
	f.mu.Lock()
	if f.l != nil {
		f.l.Close()
		f.l = nil
	}
	for c := range f.conns {
		c.Close()
	}
	clear(f.conns)
	f.mu.Unlock()
	f.wg.Wait()
}
