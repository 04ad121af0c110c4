package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
)

// serveHelper listens on a free loopback port, tells the parent where, and
// serves until ctx ends (the parent's SIGTERM).
func serveHelper(ctx context.Context, h http.Handler, stdout io.Writer) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "%shttp://%s\n", readyPrefix, l.Addr())
	if err := srv.Serve(l); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// functionBody is what every benchmarked function answers: small and
// fixed, so that the bytes moved are the same for every target.
var functionBody = []byte("Hello World!\n")

// slowSuffix marks the routes whose function takes --slow-delay, used to
// overload Picasso with calls that occupy it; trivialSuffix marks the
// routes whose function answers at once, without the backend's CPU cost,
// used where the proxy's added latency is measured.
const (
	slowSuffix    = "/slow"
	trivialSuffix = "/trivial"
)

// runBackend answers /r/{app}/{path} like IronFunctions with the fixed
// body after burning --cpu of CPU time (except the /slow and /trivial
// functions), and passes the management API (/v1/apps…, /version) to the
// IronFunctions fake, so that Picasso's app and route creation gets the
// real server's answers. Its own /r/ handler avoids the fake's per-call
// recording, which would grow without bound under load.
func runBackend(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(roleBackend, flag.ContinueOnError)
	slow := fs.Duration("slow-delay", 20*time.Millisecond, "duration of the /slow function")
	cost := fs.Duration("cpu", 0, "CPU time each call burns before the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fake := ironfunctionstest.New()
	defer fake.Close()
	management, err := url.Parse(fake.URL())
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", httputil.NewSingleHostReverseProxy(management))
	mux.HandleFunc("/r/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch {
		case strings.HasSuffix(r.URL.Path, slowSuffix):
			time.Sleep(*slow)
		case strings.HasSuffix(r.URL.Path, trivialSuffix):
		default:
			burnCPU(*cost)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(functionBody)
	})
	return serveHelper(ctx, mux, stdout)
}

// runBareProxy is the floor of any Go proxy: httputil.ReverseProxy with a
// keep-alive transport sized like Picasso's backend client, and nothing
// else; with --buffer-pool, its copy buffers come from a pool, the one
// tuning the standard library offers.
func runBareProxy(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(roleBareProxy, flag.ContinueOnError)
	target := fs.String("target", "", "URL to forward every request to")
	pooled := fs.Bool("buffer-pool", false, "copy bodies through pooled 32 KiB buffers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("invalid --target %q", *target)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	if *pooled {
		proxy.BufferPool = newBufferPool(32 << 10)
	}
	return serveHelper(ctx, proxy, stdout)
}

// bufferPool is an httputil.BufferPool over sync.Pool, as a Go proxy that
// tunes its copies would write it. Put allocates the 24-byte slice header
// it pools (the interface passes slices, not pointers); that is what the
// pattern costs, against a 32 KiB buffer per call without it.
type bufferPool struct{ pool sync.Pool }

func newBufferPool(size int) *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}}}
}

func (p *bufferPool) Get() []byte { return *p.pool.Get().(*[]byte) }

func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }
