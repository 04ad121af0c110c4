package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// healthcheckTimeout covers /readyz, whose own checks take up to 2 s.
const healthcheckTimeout = 5 * time.Second

// runHealthcheck asks the running server's /readyz and exits non-zero
// unless it answers 200: the container's HEALTHCHECK, which has no curl.
// The address comes from the same PICASSO_HOST and PICASSO_PORT the
// server reads, so it needs no arguments inside the container.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("picasso-api healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "readiness URL to check (default http://<PICASSO_HOST or 127.0.0.1>:<PICASSO_PORT or 10001>/readyz)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *url == "" {
		*url = "http://" + healthcheckHostPort(getenv("PICASSO_HOST"), getenv("PICASSO_PORT")) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("invalid --url: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %d %s", *url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "ready: %s\n", strings.TrimSpace(string(body)))
	return nil
}

// healthcheckHostPort reaches a server listening on a wildcard address
// through loopback.
func healthcheckHostPort(host, port string) string {
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	if _, err := strconv.Atoi(port); err != nil {
		port = "10001"
	}
	return net.JoinHostPort(host, port)
}
