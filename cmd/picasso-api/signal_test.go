package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/internal/testenv"
)

// runMainVar makes the test binary behave as picasso-api itself, so that a
// test can run it as a real process and send it real signals.
const runMainVar = "PICASSO_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainVar) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSIGTERMDrains: a call in flight when SIGTERM arrives finishes, and
// the process exits 0.
func TestSIGTERMDrains(t *testing.T) {
	port := testenv.FreePort(t)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(os.Args[0], append([]string{"--port", strconv.Itoa(port), "--drain-timeout", "10s"}, devArgs(t)...)...)
	cmd.Env = append(os.Environ(), runMainVar+"=1")
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitHealthy(t, url, exited, &logs)

	s := &server{url: url}
	p := "/v1/" + project
	s.request(t, "POST", p+"/apps", `{"app":{"name":"g"}}`)
	s.request(t, "POST", p+"/apps/g/routes", `{"route":{"path":"/slow","image":"slow","config":{"SLEEP":"1"}}}`)
	result := make(chan string, 1)
	go func() {
		resp, err := http.Post(url+"/r/"+project+"/g/slow", "text/plain", nil)
		if err != nil {
			result <- err.Error()
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- fmt.Sprintf("%d %s", resp.StatusCode, body)
	}()
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := <-result; !strings.HasPrefix(got, "200") {
		t.Errorf("in-flight call ended with %q", got)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("picasso-api exited with %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("picasso-api did not exit after the drain")
	}
	if !strings.Contains(logs.String(), "draining") {
		t.Errorf("no drain in the logs:\n%s", logs.String())
	}
}

// waitHealthy waits until /healthz answers, failing t if the server
// exits (its error is put back for whoever waits on exited) or takes more
// than 10 s.
func waitHealthy(t *testing.T, url string, exited chan error, logs fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("picasso-api exited: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("picasso-api did not answer: %v\n%s", err, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
