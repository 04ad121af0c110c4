package brokertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/internal/testenv"
)

// Server is a broker process of the test's own, on a free port with its
// own data directory, which the test may stop and start again (keeping
// its data). It is killed when the test ends.
type Server struct {
	t     testing.TB
	name  string
	port  int
	ready time.Duration
	args  []string
	env   []string
	cmd   *exec.Cmd
	exit  chan struct{}
}

// StartNATS starts a private nats-server with JetStream.
func StartNATS(t testing.TB) *Server {
	t.Helper()
	binary, err := exec.LookPath("nats-server")
	if err != nil {
		testenv.Unavailable(t, "nats-server: %v", err)
	}
	port := testenv.FreePort(t)
	s := &Server{t: t, name: "nats-server", port: port, ready: 30 * time.Second,
		args: []string{binary, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir()}}
	s.Start()
	return s
}

// StartRabbitMQ starts a private RabbitMQ node (no plugins) run as the
// calling user, with its node name, ports, database and logs its own.
// Erlang boots in about 10 s, so only the tests that restart a broker use
// one.
func StartRabbitMQ(t testing.TB) *Server {
	t.Helper()
	const script = "/usr/lib/rabbitmq/bin/rabbitmq-server"
	if _, err := os.Stat(script); err != nil {
		testenv.Unavailable(t, "rabbitmq-server: %v", err)
	}
	dir := t.TempDir()
	port, dist := testenv.FreePort(t), testenv.FreePort(t)
	if err := os.WriteFile(filepath.Join(dir, "plugins"), []byte("[].\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rabbitmq.conf"), []byte("loopback_users = none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	node := Unique("picasso-test-") + "@localhost"
	s := &Server{t: t, name: "rabbitmq-server", port: port, ready: 90 * time.Second, args: []string{script},
		env: append(os.Environ(),
			"HOME="+dir,
			"RABBITMQ_NODENAME="+node,
			"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
			"RABBITMQ_NODE_PORT="+strconv.Itoa(port),
			"RABBITMQ_DIST_PORT="+strconv.Itoa(dist),
			"RABBITMQ_MNESIA_BASE="+filepath.Join(dir, "mnesia"),
			"RABBITMQ_LOG_BASE="+filepath.Join(dir, "log"),
			"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(dir, "plugins"),
			"RABBITMQ_CONFIG_FILE="+filepath.Join(dir, "rabbitmq"),
			"RABBITMQ_PID_FILE="+filepath.Join(dir, "pid"),
			"RABBITMQ_FEATURE_FLAGS_FILE="+filepath.Join(dir, "feature_flags"),
		)}
	s.Start()
	return s
}

// Addr is host:port of the broker's client port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Start (re)starts the process and waits until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Env = s.env
	logFile, err := os.CreateTemp(s.t.TempDir(), "broker-*.log")
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so that Stop reaches the shell script's
	// children (the Erlang VM) too; killed if the test binary dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.name, err)
	}
	s.cmd, s.exit = cmd, make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(s.exit) }()
	s.t.Cleanup(s.kill)
	if !waitPort(s.Addr(), s.ready) {
		out, _ := os.ReadFile(logFile.Name())
		s.kill()
		s.t.Fatalf("%s did not listen on %s: %s", s.name, s.Addr(), tail(out))
	}
}

// Stop ends the broker the way an operator's restart does (SIGTERM, then
// SIGKILL after 30 s) and waits until it has exited.
func (s *Server) Stop() {
	s.t.Helper()
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exit:
	case <-time.After(30 * time.Second):
		s.kill()
	}
	// The Erlang VM may outlive the script by a moment: wait for the port.
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if !listening(s.Addr()) {
			return
		}
	}
	s.t.Fatalf("%s still listens on %s after stop", s.name, s.Addr())
}

func (s *Server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exit
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return fmt.Sprintf("%s", b)
}
