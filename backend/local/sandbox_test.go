package local

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testenv"
)

// Each test here runs an attack as a function and shows that the sandbox
// stops it; where it helps, the same attack without a sandbox shows that
// the test can fail.

// snoopScript prints everything of other processes that /proc shows.
const snoopScript = `for p in /proc/[0-9]*; do
  echo "pid ${p#/proc/} cwd=$(readlink "$p/cwd") exe=$(readlink "$p/exe")"
  tr '\0' '\n' < "$p/environ"; tr '\0' ' ' < "$p/cmdline"; echo
done 2>/dev/null
test -e "$GATEWAY_DIR" && echo "gateway dir visible"
exit 0`

// fakeSecretVar holds a secret in the environment the test process
// started with: /proc shows that one, not what Setenv changes later.
const fakeSecretVar = "PICASSO_FAKE_SECRET"

func TestSandboxHidesTheGatewaysProcessesEnvironmentAndDirectory(t *testing.T) {
	secret := os.Getenv(fakeSecretVar)
	if secret == "" {
		rerunWithSecret(t)
		return
	}
	cwd, err := os.Getwd()
	mustDo(t, err)
	exe, err := os.Executable()
	mustDo(t, err)
	dir := functionsDir(t, map[string]string{"snoop": snoopScript})
	route := newRoute("/snoop", "snoop")
	route.Config = map[string]string{"GATEWAY_DIR": cwd}

	unsandboxed, _ := newRuntime(t, Options{FunctionsDir: dir, Sandbox: SandboxNone})
	if out := invokeOK(t, unsandboxed, postCall(route, "")); !strings.Contains(out, secret) || !strings.Contains(out, "gateway dir visible") {
		t.Fatalf("without a sandbox the snoop should find the gateway; the probe is broken:\n%s", out)
	}

	rt, _ := newRuntime(t, Options{FunctionsDir: dir})
	out := invokeOK(t, rt, postCall(route, ""))
	for _, leak := range []string{secret, fakeSecretVar, "gateway dir visible", "cwd=" + cwd, exe} {
		if strings.Contains(out, leak) {
			t.Errorf("the function saw %q:\n%s", leak, out)
		}
	}
	// Its own PID namespace: bwrap's init and the function's own processes.
	if pids := strings.Count(out, "\npid ") + 1; pids > 4 {
		t.Errorf("the function sees %d processes, want only its sandbox's:\n%s", pids, out)
	}
}

// rerunWithSecret runs the calling test again in a child process that
// starts with a fake secret in its environment, as a gateway holds its
// Keystone password.
func rerunWithSecret(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), fakeSecretVar+"=s3cret-of-the-gateway-process")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the test with a secret in the environment failed (%v):\n%s", err, out)
	}
}

func TestSandboxRunsAsAnUnprivilegedUserWithoutCapabilitiesOrInheritedFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching to the sandbox user needs root")
	}
	rt, _ := newRuntime(t, Options{FunctionsDir: functionsDir(t, map[string]string{
		"whoami": `id -u; id -g; id -G; grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status; hostname; ls /proc/self/fd`,
	})})
	out := invokeOK(t, rt, postCall(newRoute("/whoami", "whoami"), ""))
	want := "65534\n65534\n65534\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\npicasso\n0\n1\n2\n3\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// connectScript reports, per port in PORTS, whether a TCP connection to
// 127.0.0.1 succeeds (bash, for /dev/tcp).
const connectScript = `#!/bin/bash
for port in $PORTS; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "connected $port"; else echo "refused $port"; fi
done`

func TestSandboxHasNoNetwork(t *testing.T) {
	mariadb, err := net.DialTimeout("tcp", "127.0.0.1:3306", 5*time.Second)
	if err != nil {
		testenv.Unavailable(t, "MariaDB on 127.0.0.1:3306: %v", err)
	}
	mariadb.Close()
	gateway, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(t, err)
	defer gateway.Close()
	go func() {
		for {
			c, err := gateway.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(gateway.Addr().(*net.TCPAddr).Port)
	dir := functionsDir(t, map[string]string{"connect": connectScript})
	route := newRoute("/connect", "connect")
	route.Config = map[string]string{"PORTS": "3306 " + port}

	allowed, _ := newRuntime(t, Options{FunctionsDir: dir, AllowNetwork: true})
	if out := invokeOK(t, allowed, postCall(route, "")); out != "connected 3306\nconnected "+port+"\n" {
		t.Fatalf("with the network allowed the probe should connect; it is broken:\n%s", out)
	}

	rt, _ := newRuntime(t, Options{FunctionsDir: dir})
	if out := invokeOK(t, rt, postCall(route, "")); out != "refused 3306\nrefused "+port+"\n" {
		t.Errorf("the function reached the host's loopback:\n%s", out)
	}
}

func TestSandboxKillsASetsidChildAtTheTimeout(t *testing.T) {
	dir := functionsDir(t, map[string]string{"escape": `setsid sleep 60 & sleep 60`})
	for _, tc := range []struct {
		sandbox  Sandbox
		survives bool
	}{{SandboxNone, true}, {SandboxBwrap, false}} {
		t.Run(string(tc.sandbox), func(t *testing.T) {
			rt, _ := newRuntime(t, Options{FunctionsDir: dir, Sandbox: tc.sandbox})
			key, value := marker(t)
			route := newRoute("/escape", "escape")
			route.Timeout = 1
			route.Config = map[string]string{key: value}
			errc := make(chan error, 1)
			go func() {
				_, err := rt.Invoke(testContext(t), postCall(route, ""))
				errc <- err
			}()
			waitForProcesses(t, key+"="+value, 3) // sh, its sleep, the setsid sleep
			if err := <-errc; !picasso.IsCode(err, picasso.ETIMEOUT) {
				t.Fatalf("got %v, want ETIMEOUT", err)
			}
			if !tc.survives {
				waitGone(t, key+"="+value)
				return
			}
			// Without a sandbox the escape works, which shows the check can
			// fail; clean up after it.
			left := processesWithEnv(t, key+"="+value)
			for _, pid := range left {
				if p, err := os.FindProcess(pid); err == nil {
					p.Kill()
				}
			}
			if len(left) == 0 {
				t.Error("without a sandbox the setsid child should survive the process-group kill; the probe is broken")
			}
			waitGone(t, key+"="+value)
		})
	}
}

func TestSandboxContainsAForkBomb(t *testing.T) {
	const maxProcs = 32
	rt, logs := newRuntime(t, Options{
		FunctionsDir: functionsDir(t, map[string]string{"bomb": `bomb() { bomb | bomb & }; bomb; sleep 60`, "hello": "echo hello"}),
		MaxProcesses: maxProcs,
	})
	key, value := marker(t)
	route := newRoute("/bomb", "bomb")
	route.Timeout = 2
	route.Config = map[string]string{key: value}
	errc := make(chan error, 1)
	go func() {
		_, err := rt.Invoke(testContext(t), postCall(route, ""))
		errc <- err
	}()
	most := 0
	for done := false; !done; {
		select {
		case err := <-errc:
			if !picasso.IsCode(err, picasso.ETIMEOUT) && !picasso.IsCode(err, picasso.EBADGATEWAY) {
				t.Errorf("got %v, want a 504 or 502", err)
			}
			done = true
		default:
			most = max(most, len(processesWithEnv(t, key+"="+value)))
		}
	}
	if most > maxProcs {
		t.Errorf("the bomb reached %d processes, the limit is %d", most, maxProcs)
	}
	waitGone(t, key+"="+value)
	if !strings.Contains(logs.String(), "Cannot fork") {
		t.Errorf("the bomb never hit the process limit; log:\n%s", logs.String())
	}
	if got := invokeOK(t, rt, postCall(newRoute("/hello", "hello"), "")); got != "hello\n" {
		t.Errorf("the next call answered %q", got)
	}
}

func TestSandboxContainsAMemoryHog(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: functionsDir(t, map[string]string{
		"hog":   hogScript,
		"hello": `echo hello`,
	})})
	hog := newRoute("/hog", "hog")
	hog.Memory = 256
	if got := invokeOK(t, rt, postCall(hog, "")); strings.TrimSpace(got) != "32000000" {
		t.Errorf("hog within its limit: %q", got)
	}
	hog.Memory = 16
	e := invokeErr(t, testContext(t), rt, postCall(hog, ""), picasso.EBADGATEWAY)
	if rt.sandbox.cgroups != nil && !strings.Contains(e.Message, "out of memory") {
		t.Errorf("message %q does not say the function ran out of memory", e.Message)
	}
	if got := invokeOK(t, rt, postCall(newRoute("/hello", "hello"), "")); got != "hello\n" {
		t.Errorf("the next call answered %q", got)
	}
}

func TestSandboxRefusesWritesOutsideTmp(t *testing.T) {
	dir := functionsDir(t, map[string]string{"write": `for f in /functions/x /x /usr/x /etc/x /proc/x /dev/x /tmp/x; do
  if echo data > "$f"; then echo "wrote $f"; else echo "refused $f"; fi
done 2>/dev/null
head -c 2000000 /dev/zero > /tmp/big 2>/dev/null || echo "tmp full"`})
	rt, _ := newRuntime(t, Options{FunctionsDir: dir, TmpSizeBytes: 1 << 20})
	out := invokeOK(t, rt, postCall(newRoute("/write", "write"), ""))
	want := "refused /functions/x\nrefused /x\nrefused /usr/x\nrefused /etc/x\nrefused /proc/x\nrefused /dev/x\nwrote /tmp/x\ntmp full\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Errorf("the function wrote into the functions directory: %v", err)
	}
}

func TestSandboxTmpIsPrivateToTheCall(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: functionsDir(t, map[string]string{
		"keep": `echo secret > /tmp/kept; sleep 60`,
		"look": `ls -A /tmp; echo end`,
	})})
	key, value := marker(t)
	keep := newRoute("/keep", "keep")
	keep.Config = map[string]string{key: value}
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		rt.Invoke(ctx, postCall(keep, ""))
	}()
	defer func() { cancel(); <-done }()
	waitForProcesses(t, key+"="+value, 2)

	if got := invokeOK(t, rt, postCall(newRoute("/look", "look"), "")); got != "end\n" {
		t.Errorf("a concurrent call sees another call's /tmp: %q", got)
	}
}

func TestSandboxEndsWhatTheFunctionLeftBehindWhenItExits(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: functionsDir(t, map[string]string{
		"daemon": `setsid sleep 60 > /dev/null 2>&1 & echo started`,
	})})
	key, value := marker(t)
	route := newRoute("/daemon", "daemon")
	route.Config = map[string]string{key: value}
	if got := invokeOK(t, rt, postCall(route, "")); got != "started\n" {
		t.Errorf("got %q", got)
	}
	waitGone(t, key+"="+value)
}

func TestSandboxEndsABusyLoopAtTheTimeout(t *testing.T) {
	rt, _ := newRuntime(t, Options{FunctionsDir: functionsDir(t, map[string]string{
		"spin":  `while :; do :; done`,
		"hello": `echo hello`,
	})})
	key, value := marker(t)
	spin := newRoute("/spin", "spin")
	spin.Timeout = 1
	spin.Config = map[string]string{key: value}
	invokeErr(t, testContext(t), rt, postCall(spin, ""), picasso.ETIMEOUT)
	waitGone(t, key+"="+value)
	if got := invokeOK(t, rt, postCall(newRoute("/hello", "hello"), "")); got != "hello\n" {
		t.Errorf("the next call answered %q", got)
	}
}
