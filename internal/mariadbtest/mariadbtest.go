// Package mariadbtest starts a private MariaDB server for one test: its
// own data directory, socket and loopback port, so that the test may stop
// and restart it without disturbing the shared server other packages use.
// A fresh server is ready in about a second.
package mariadbtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/picasso-faas/picasso/internal/testenv"
)

// startTimeout bounds how long the server may take to answer after a
// start; stopTimeout how long it may take to exit after SIGTERM.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
)

// smallServer keeps the server's footprint small: tests hold a few rows.
var smallServer = []string{
	"--innodb-buffer-pool-size=16M",
	"--innodb-log-file-size=4M",
	"--skip-log-bin",
	"--skip-name-resolve",
	"--skip-performance-schema",
}

// Server is a private mariadbd. Stop and Start may be called any number of
// times; the test's cleanup stops it for good.
type Server struct {
	t       testing.TB
	binary  string
	dataDir string
	port    int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	logs *bytes.Buffer
}

// Start installs a data directory and starts a server on a free loopback
// port. Without the MariaDB binaries the test ends via testenv.Unavailable.
func Start(t testing.TB) *Server {
	t.Helper()
	server, installer := lookPath("mariadbd"), lookPath("mariadb-install-db")
	if server == "" || installer == "" {
		testenv.Unavailable(t, "mariadbd and mariadb-install-db are not installed")
	}
	dir, err := os.MkdirTemp("", "mariadbtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{t: t, binary: server, dataDir: filepath.Join(dir, "data"), port: testenv.FreePort(t)}
	install := exec.Command(installer, append([]string{"--no-defaults", "--datadir=" + s.dataDir,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, append(asUser(), smallServer...)...)...)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	t.Cleanup(func() { s.stop() })
	s.Start()
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// CreateDatabase creates a database and returns its Picasso store URI
// (mysql://root@127.0.0.1:port/name).
func (s *Server) CreateDatabase(name string) string {
	s.t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "tcp", s.Addr()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		s.t.Fatalf("create database %s: %v", name, err)
	}
	return "mysql://root@" + s.Addr() + "/" + name
}

// Start starts the server (again, on the same port and data) and waits
// until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.t.Fatal("mariadbtest: Start while the server runs")
	}
	dir := filepath.Dir(s.dataDir)
	args := append([]string{"--no-defaults", "--datadir=" + s.dataDir,
		"--bind-address=127.0.0.1", "--port=" + strconv.Itoa(s.port),
		"--socket=" + filepath.Join(dir, "mysqld.sock"), "--pid-file=" + filepath.Join(dir, "mysqld.pid")}, append(asUser(), smallServer...)...)
	cmd := exec.Command(s.binary, args...)
	s.logs = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start mariadbd: %v", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	if err := waitReady(s.Addr(), done); err != nil {
		s.t.Fatalf("mariadbd on %s: %v\n%s", s.Addr(), err, s.logs)
	}
}

// Stop shuts the server down with SIGTERM, as an operator would, and
// waits until it has exited.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.stop(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("mariadbd did not stop within %s of SIGTERM; killed", stopTimeout)
	}
}

// waitReady polls until the server completes a handshake, or fails early
// when the process exits.
func waitReady(addr string, exited <-chan struct{}) error {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.Timeout = "root", "tcp", addr, time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := connector.Connect(ctx)
		cancel()
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("the server exited")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %s: %w", startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lookPath finds a MariaDB binary on PATH or in /usr/sbin, which a
// non-root PATH often lacks.
func lookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/sbin", name); isExecutable(p) {
		return p
	}
	return ""
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// asUser names the account mariadbd runs as: as root it refuses to
// start without one; any other user runs it as itself.
func asUser() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}
