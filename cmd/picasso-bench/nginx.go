package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

// nginxPath is where Debian's nginx packages put the server.
const nginxPath = "/usr/sbin/nginx"

// ensureNginx returns the nginx binary (Debian's, else the first on
// PATH), installing Debian's nginx-light (the smallest nginx package; the
// proxy module is all the bench needs) when there is none and the bench
// runs as root.
func ensureNginx(ctx context.Context, logf func(string, ...any)) (string, error) {
	if _, err := os.Stat(nginxPath); err == nil {
		return nginxPath, nil
	}
	if path, err := exec.LookPath("nginx"); err == nil {
		return path, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New(nginxPath + " is missing and picasso-bench is not root, so it cannot install it: run apt-get install nginx-light as root first")
	}
	logf("installing nginx-light (apt-get install -y nginx-light)")
	install := func() ([]byte, error) {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", "nginx-light")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	out, err := install()
	if err != nil {
		// A machine whose package lists were never fetched (a fresh
		// container) knows no nginx-light yet.
		logf("apt-get install failed; apt-get update, then once more")
		if upd, uerr := exec.CommandContext(ctx, "apt-get", "update").CombinedOutput(); uerr != nil {
			return "", fmt.Errorf("apt-get update: %v\n%s", uerr, tail(upd))
		}
		if out, err = install(); err != nil {
			return "", fmt.Errorf("apt-get install -y nginx-light: %v\n%s", err, tail(out))
		}
	}
	if _, err := os.Stat(nginxPath); err != nil {
		return "", fmt.Errorf("nginx-light installed, but %w", err)
	}
	return nginxPath, nil
}

func tail(b []byte) []byte {
	if len(b) > 2048 {
		return b[len(b)-2048:]
	}
	return b
}

// nginxReadyPath answers 200 from nginx itself, so that readiness does not
// depend on the backend.
const nginxReadyPath = "/nginx-ready"

// nginxConfig is the configuration of the reference nginx: one worker
// (the figure the data plane is held to, and a fair match for one Go
// process on a small machine), no access log (Picasso is measured at WARNING, without one),
// an upstream of keep-alive connections like the Go proxies' transports,
// and no request or response buffering, because Picasso and
// httputil.ReverseProxy stream both ways; buffering would also let nginx
// spill to temporary files, which no Go proxy here does. Every path is
// inside prefix, the run's directory.
func nginxConfig(prefix string, port int, backendHost string) string {
	return fmt.Sprintf(`# picasso-bench: nginx as a reference reverse proxy (docs/benchmarks.md).
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    # nginx closes a keep-alive connection after 1000 requests by
    # default; the Go proxies and the load generator never do.
    keepalive_requests 1000000;

    upstream backend {
        server %[3]s;
        keepalive 64;
        keepalive_requests 1000000;
    }

    server {
        listen 127.0.0.1:%[2]d;

        location = %[4]s {
            return 200;
        }

        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
        }
    }
}
`, prefix, port, backendHost, nginxReadyPath)
}

// startNginx runs nginx in the foreground in front of the backend, with
// its own configuration, logs and temporary files under dir.
func startNginx(bin, dir, backendURL string) (*process, error) {
	backend, err := url.Parse(backendURL)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	prefix := filepath.Join(dir, "nginx")
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConfig(prefix, port, backend.Host)), 0o644); err != nil {
		return nil, err
	}
	// -e: the error log before the configuration is read, which would
	// otherwise be the system's /var/log/nginx.
	args := []string{"-p", prefix, "-c", conf, "-e", filepath.Join(prefix, "error.log"), "-g", "daemon off;"}
	u := "http://127.0.0.1:" + strconv.Itoa(port)
	p, err := startServerWith("nginx", bin, args, nil, u+nginxReadyPath, func(p *process) {
		// The master stops its workers on SIGTERM; killed outright, it
		// would leave them serving.
		p.cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	})
	if err != nil {
		return nil, err
	}
	p.url = u
	return p, nil
}
