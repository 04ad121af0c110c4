package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSlowHeadersAreCut plays a slowloris client, which sends its request
// headers a byte at a time to hold a connection forever: the server must
// drop it once --read-header-timeout has passed, and keep serving others.
func TestSlowHeadersAreCut(t *testing.T) {
	const readHeaderTimeout = 300 * time.Millisecond
	s := start(t, nil, "--db-uri", "sqlite://"+filepath.Join(t.TempDir(), "picasso.db"), "--auto-migrate", "--auth", "noauth",
		"--backend", "local", "--functions-dir", "../../examples/functions",
		"--read-header-timeout", readHeaderTimeout.String())

	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Generous: the point is that the connection ends at all.
	const bound = 5 * time.Second
	conn.SetDeadline(time.Now().Add(bound + time.Second))
	start := time.Now()
	cut := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, conn)
		cut <- err
	}()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: picasso\r\n"); err != nil {
		t.Fatal(err)
	}
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
trickle:
	for {
		select {
		case err := <-cut:
			// A close with unread bytes in the server's buffer is a reset.
			if err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("the connection was not closed by the server: %v", err)
			}
			break trickle
		case <-ticker.C:
			if time.Since(start) > bound {
				t.Fatalf("a slow client still holds its connection after %s", bound)
			}
			// Header bytes keep coming, but the header never ends.
			conn.Write([]byte("X"))
		}
	}
	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf("the server stopped serving: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz answered %d", resp.StatusCode)
	}
}

// TestConnectionsAreCapped holds --max-connections connections: a further
// client is not served while they are held, and is served as soon as one
// of them goes away.
func TestConnectionsAreCapped(t *testing.T) {
	const capacity = 3
	s := start(t, nil, "--db-uri", "sqlite://"+filepath.Join(t.TempDir(), "picasso.db"), "--auto-migrate", "--auth", "noauth",
		"--backend", "local", "--functions-dir", "../../examples/functions",
		"--max-connections", "3")
	addr := strings.TrimPrefix(s.url, "http://")
	held := make([]net.Conn, capacity)
	for i := range held {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A served request proves the connection was accepted.
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: picasso\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("held connection %d was not served: %v", i, err)
		}
		held[i] = conn
	}

	extra, err := net.Dial("tcp", addr) // the kernel queues it in the backlog
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if _, err := io.WriteString(extra, "GET /healthz HTTP/1.1\r\nHost: picasso\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	reader := bufio.NewReader(extra)
	// Not an upper bound on anything: a capped server never answers here,
	// however long the wait.
	extra.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := reader.Peek(1); err == nil {
		t.Fatalf("a connection beyond --max-connections was served")
	}
	held[0].Close()
	extra.SetReadDeadline(time.Now().Add(30 * time.Second))
	if resp, err := http.ReadResponse(reader, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the waiting connection was not served once a slot freed: %v", err)
	}
}
