#!/usr/bin/env bash
# Builds the project's Dockerfile and runs README.md's "Run in a container"
# commands against the image: the try-out (the walkthrough, a timed-out call
# that must leave no zombie, the healthcheck, docker stop draining an
# in-flight call with exit code 0), an unwritable data directory, and the
# production run (a migration container, MariaDB and Keystone).
#
# Needs root. It installs Debian's docker.io and debootstrap when missing
# and starts a Docker engine of its own (no iptables, no bridge: containers
# use --network host), with its data, state and socket in a temporary
# directory, stopped at the end. No registry is needed: debian:bookworm-slim
# is a debootstrap root filesystem (cached in $PICASSO_CI_CACHE) and the
# Dockerfile's Go image is made from it with this machine's Go.
set -euo pipefail
cd "$(dirname "$0")/.."
# (Output is matched from variables, never through "| grep -q": with
# pipefail, grep -q stopping early fails the pipeline with SIGPIPE.)

CACHE="${PICASSO_CI_CACHE:-/var/cache/picasso-ci}"
IMAGE=picasso-api
started_at=$SECONDS

step() { printf '\n== container: %s\n' "$*"; }
fail() { printf 'container test FAILED: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || fail "must run as root (it starts its own dockerd)"

step "packages"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi
# Debian's client, which matches its dockerd (another docker may be first
# in PATH).
DOCKER_CLI=/usr/bin/docker
[[ -x $DOCKER_CLI ]] || DOCKER_CLI=$(command -v docker)

work=$(mktemp -d /tmp/picasso-container.XXXXXX)
sock="$work/docker.sock"
docker() { "$DOCKER_CLI" --host "unix://$sock" "$@"; }
test_db=""

cleanup() {
  local rc=$?
  set +e
  if [[ -S $sock ]]; then
    if ((rc != 0)); then
      for c in $(docker ps -aq); do
        echo "--- logs of container $c" >&2
        docker logs --tail 40 "$c" >&2
      done
    fi
    docker ps -aq | xargs -r "$DOCKER_CLI" --host "unix://$sock" rm -f >/dev/null
  fi
  if [[ -f $work/dockerd.pid ]]; then
    local pid
    pid=$(cat "$work/dockerd.pid")
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  ((rc != 0)) && [[ -f $work/dockerd.log ]] && tail -20 "$work/dockerd.log" >&2
  [[ -n $test_db ]] && mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS \`$test_db\`"
  # Whatever the engine left mounted under its directories goes first.
  grep -o " $work[^ ]*" /proc/mounts | sort -r | xargs -r umount -l
  rm -rf --one-file-system "$work"
  exit "$rc"
}
trap cleanup EXIT

step "dockerd (private, $work)"
dockerd --host "unix://$sock" --data-root "$work/data" --exec-root "$work/exec" \
  --pidfile "$work/dockerd.pid" --iptables=false --ip-masq=false --bridge=none \
  >"$work/dockerd.log" 2>&1 &
for _ in $(seq 300); do docker version >/dev/null 2>&1 && break; sleep 0.1; done
docker version --format 'engine {{.Server.Version}}' || fail "dockerd did not start"

# apt_mirror is the Debian mirror this machine's apt uses for bookworm,
# from one-line (.list) or deb822 (.sources) files.
apt_mirror() {
  local m
  m=$(grep -hsE '^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+bookworm[[:space:]]' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    sed -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/' | awk 'NR == 1')
  if [[ -z $m ]]; then
    m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v RS= '
      /(^|\n)Suites:([^\n]* )?bookworm( |\n|$)/ {
        if (match($0, /(^|\n)URIs:[ ]*[^ \n]+/)) { u = substr($0, RSTART, RLENGTH); sub(/.*URIs:[ ]*/, "", u); print u; exit }
      }')
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

step "base image debian:bookworm-slim"
mirror=$(apt_mirror)
rootfs_tar="$CACHE/bookworm-minbase-$(printf '%s' "$mirror" | sha256sum | cut -c1-12).tar"
if [[ ! -s $rootfs_tar ]]; then
  echo "debootstrap from $mirror (cached as $rootfs_tar)"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
  tar -C "$work/rootfs" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf --one-file-system "$work/rootfs"
fi
docker import --change 'CMD ["bash"]' "$rootfs_tar" debian:bookworm-slim >/dev/null

# The Go image the Dockerfile names, from this machine's Go. How this machine
# reaches the module proxy (proxy settings, its CA bundle when a private CA
# signs the proxy's certificate) goes into this build image only.
go_image=$(sed -n 's/^FROM \(golang:[^ ]*\).*/\1/p' Dockerfile | awk 'NR == 1')
step "build image $go_image (Go $(go env GOVERSION))"
goroot=$(go env GOROOT)
mkdir -p "$work/goimage"
{
  echo 'FROM debian:bookworm-slim'
  echo 'COPY go /usr/local/go'
  if [[ -s /etc/ssl/certs/ca-certificates.crt ]]; then
    cp /etc/ssl/certs/ca-certificates.crt "$work/goimage/"
    echo 'COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt'
  fi
  echo 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOPATH=/go GOTOOLCHAIN=local'
  for v in GOPROXY GOFLAGS GOSUMDB GONOSUMDB GOPRIVATE GONOPROXY GOINSECURE; do
    val=$(go env "$v")
    [[ -n $val ]] && printf 'ENV %s="%s"\n' "$v" "$val"
  done
  for v in HTTPS_PROXY https_proxy HTTP_PROXY http_proxy NO_PROXY no_proxy; do
    [[ -n ${!v:-} ]] && printf 'ENV %s="%s"\n' "$v" "${!v}"
  done
} >"$work/goimage/Dockerfile"
tar -cf - -C "$work/goimage" . -C "$(dirname "$goroot")" --transform "s,^$(basename "$goroot"),go," "$(basename "$goroot")" |
  docker build -q -t "$go_image" - >/dev/null

step "docker build -t $IMAGE ."
build_started=$SECONDS
docker build --network host -t "$IMAGE" . >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; fail "docker build"; }
echo "built in $((SECONDS - build_started)) s, $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}')"
[[ $(docker image inspect -f '{{.Config.User}}' "$IMAGE") == 10001:10001 ]] || fail "image user is not 10001:10001"
# What made the build work on this machine stays in the build image.
grep -qE 'GO(PROXY|FLAGS|SUMDB)|_PROXY|_proxy' <<<"$(docker image inspect -f '{{.Config.Env}}' "$IMAGE")" &&
  fail "the build's Go or proxy settings leaked into $IMAGE"
docker run --rm --network none --entrypoint sh "$IMAGE" -c 'test ! -e /usr/local/go && test ! -e /src && test ! -e /go' ||
  fail "$IMAGE contains the Go toolchain or the sources"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_health waits until the container's HEALTHCHECK reports healthy.
wait_health() {
  local status
  for _ in $(seq 120); do
    status=$(docker inspect -f '{{.State.Health.Status}}' "$1")
    [[ $status == healthy ]] && return 0
    [[ $(docker inspect -f '{{.State.Running}}' "$1") == true ]] || fail "$1 exited: $(docker logs "$1" 2>&1 | tail -5)"
    sleep 0.5
  done
  fail "$1 is not healthy after 60 s: $status"
}

# wait_http waits until url answers at all.
wait_http() {
  for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  fail "nothing answers at $1"
}

# leftovers lists the container's processes that are zombies (state Z) or
# named sleep (what the killed call ran), as "pid name state".
leftovers() {
  docker exec "$1" sh -c 'for s in /proc/[0-9]*/stat; do cat "$s" 2>/dev/null; echo; done' |
    sed -n -e 's/^\([0-9]*\) (\(.*\)) \(Z\) .*/\1 \2 \3/p' -e 's/^\([0-9]*\) (\(sleep\)) \([A-Z]\) .*/\1 \2 \3/p'
}

# stop_cleanly runs docker stop (its default 10 s timeout) and requires
# exit code 0: a container killed at the timeout exits 137.
stop_cleanly() {
  local t0=$SECONDS code
  docker stop "$1" >/dev/null
  code=$(docker inspect -f '{{.State.ExitCode}}' "$1")
  [[ $code == 0 ]] || fail "docker stop $1: exit code $code, want 0 (drained within docker stop's 10 s)"
  grep -q '"msg":"stopped"' <<<"$(docker logs "$1" 2>&1)" || fail "$1 did not log its clean stop"
  echo "docker stop $1: exit code 0 after $((SECONDS - t0)) s"
}

# The README's commands, as tested; the engine has no bridge, so -p
# 10001:10001 becomes --network host and PICASSO_PORT picks a free port.
step "try-out: docker run ... $IMAGE --dev-listen 0.0.0.0"
port=$(free_port)
docker run -d --name try --network host -e PICASSO_PORT="$port" "$IMAGE" --dev-listen 0.0.0.0 >/dev/null
url="http://localhost:$port"
wait_http "$url/healthz"
grep -q 'ANYONE WHO CAN REACH' <<<"$(docker logs try 2>&1)" || fail "no loud warning that anyone reaching the try-out is admin"
grep -q '^/usr/bin/tini ' <<<"$(docker exec try cat /proc/1/cmdline | tr '\0' ' ')" || fail "PID 1 is not tini"

step "README walkthrough in the container"
walkthrough=$(awk '/^## A 60-second walkthrough/ {w = 1} w && /^```sh/ {c = 1; next} c && /^```/ {exit} c' README.md)
[[ -n $walkthrough ]] || fail "no walkthrough block in README.md"
out=$(bash -euo pipefail -c "${walkthrough//localhost:10001/localhost:$port}")
printf '%s\n' "$out"
grep -q 'Hello, OpenStack!' <<<"$out" || fail "walkthrough: the private call did not answer Hello, OpenStack!"
grep -q 'Hello, Aodh!' <<<"$out" || fail "walkthrough: the public call did not answer Hello, Aodh!"

step "a timed-out call leaves no zombie"
# The call's shell runs sleep as a child; killing the call's process group
# orphans it, and only an init that reaps makes it disappear. The check
# waits until sleep runs, so that the call is killed with its child alive.
P=0123456789abcdef0123456789abcdef
curl -sf -X POST "$url/v1/$P/apps/demo/routes" -H 'Content-Type: application/json' \
  -d '{"route":{"path":"/slow","image":"slow","timeout":5,"config":{"SLEEP":"60"}}}' >/dev/null
curl -s -o /dev/null -w '%{http_code}' -X POST "$url/r/$P/demo/slow" >"$work/timeout.status" &
call=$!
running_sleep() { docker exec "$1" sh -c 'grep -lx sleep /proc/[0-9]*/comm' >/dev/null 2>&1; }
until running_sleep try; do
  kill -0 "$call" 2>/dev/null || fail "the slow call ended before its sleep started: $(cat "$work/timeout.status")"
  sleep 0.1
done
wait "$call" || true
status=$(cat "$work/timeout.status")
[[ $status == 504 || $status == 502 ]] || fail "timed-out call answered $status, want 504 or 502"
for i in $(seq 50); do
  left=$(leftovers try)
  [[ -z $left ]] && break
  ((i < 50)) || fail "processes left in the container after a timed-out call (pid name state): $left"
  sleep 0.2
done
echo "timed-out call: $status, no zombie, nothing left running"

step "the healthcheck turns healthy"
wait_health try
docker exec try picasso-api healthcheck

step "docker stop drains an in-flight call"
curl -sf -X POST "$url/v1/$P/apps/demo/routes" -H 'Content-Type: application/json' \
  -d '{"route":{"path":"/drain","image":"slow","timeout":30,"config":{"SLEEP":"2"}}}' >/dev/null
curl -s -o "$work/inflight.out" -w '%{http_code}' -X POST "$url/r/$P/demo/drain" >"$work/inflight.status" &
inflight=$!
until running_sleep try; do
  kill -0 "$inflight" 2>/dev/null || fail "the drain call ended before its sleep started: $(cat "$work/inflight.status")"
  sleep 0.1
done
stop_cleanly try
wait "$inflight" || true
[[ $(cat "$work/inflight.status") == 200 ]] && grep -q done "$work/inflight.out" ||
  fail "the call in flight during docker stop got $(cat "$work/inflight.status") $(cat "$work/inflight.out")"
echo "the in-flight call finished: 200 done"

step "an unwritable data directory is named at start"
mkdir -m 0755 "$work/root-owned"
if docker run --rm --network host -e PICASSO_PORT="$(free_port)" -v "$work/root-owned:/var/lib/picasso" \
  "$IMAGE" --dev-listen 0.0.0.0 >"$work/unwritable.log" 2>&1; then
  fail "started with an unwritable data directory"
fi
grep -q 'data directory /var/lib/picasso is not writable by uid:gid 10001:10001' "$work/unwritable.log" ||
  fail "unclear error for an unwritable data directory: $(cat "$work/unwritable.log")"
grep 'not writable' "$work/unwritable.log"

step "bubblewrap in the container: refused by default, working with the README's options"
bwrap_probe=(--unshare-all --die-with-parent --new-session --ro-bind /usr /usr --symlink usr/bin /bin
  --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev --tmpfs /tmp
  /bin/sh -c 'echo "sandboxed as uid $(id -u), pid $$"')
if docker run --rm --network none --entrypoint bwrap "$IMAGE" "${bwrap_probe[@]}" >/dev/null 2>&1; then
  fail "bubblewrap works under Docker's defaults: update README.md's sandbox options"
fi
docker run --rm --network none --security-opt seccomp=unconfined --security-opt systempaths=unconfined \
  --entrypoint bwrap "$IMAGE" "${bwrap_probe[@]}" | tee "$work/bwrap.out"
grep -qE 'sandboxed as uid 10001, pid [12]$' "$work/bwrap.out" || fail "bubblewrap with the README's options"

step "production: migrate up, then serve with Keystone and MariaDB"
scripts/mariadb.sh >/dev/null
scripts/keystone.sh start >/dev/null
eval "$(scripts/keystone.sh env)"
test_db="picasso_container_$$"
mysql -uroot -h127.0.0.1 -e "CREATE DATABASE \`$test_db\`"
port=$(free_port)
cat >"$work/picasso.env" <<EOF
PICASSO_PORT=$port
PICASSO_DB=mysql://root@127.0.0.1:3306/$test_db
PICASSO_BACKEND=local
KEYSTONE_ENDPOINT=$OS_AUTH_URL
PICASSO_KEYSTONE_USER=$PICASSO_KEYSTONE_SERVICE_USER
PICASSO_KEYSTONE_PASSWORD=$PICASSO_KEYSTONE_SERVICE_PASSWORD
PICASSO_KEYSTONE_PROJECT=$PICASSO_KEYSTONE_SERVICE_PROJECT
EOF
docker run --rm --network host --env-file "$work/picasso.env" "$IMAGE" migrate up | tee "$work/migrate.out"
grep -q '^schema version [1-9][0-9]* (clean)' "$work/migrate.out" || fail "migrate up"
docker run -d --name prod --network host --env-file "$work/picasso.env" \
  --security-opt seccomp=unconfined --security-opt systempaths=unconfined "$IMAGE" >/dev/null
url="http://localhost:$port"
wait_health prod
prod_logs=$(docker logs prod 2>&1)
[[ $prod_logs == *'"sandbox":"bwrap"'* ]] || fail "production: the local runtime is not sandboxed"
token=$(curl -sf -D - -o /dev/null -H 'Content-Type: application/json' "$OS_AUTH_URL/auth/tokens" -d "{\"auth\":{
  \"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$OS_ADMIN_USERNAME\",\"domain\":{\"name\":\"$OS_USER_DOMAIN_NAME\"},\"password\":\"$OS_ADMIN_PASSWORD\"}}},
  \"scope\":{\"project\":{\"name\":\"$OS_ADMIN_PROJECT_NAME\",\"domain\":{\"name\":\"$OS_PROJECT_DOMAIN_NAME\"}}}}}" |
  tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
[[ -n $token ]] || fail "no Keystone token"
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/$P/apps")
[[ $status == 401 ]] || fail "production: a call without a token answered $status, want 401"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $token" "$url/v1/$P/apps")
[[ $status == 200 ]] || fail "production: an admin token answered $status, want 200"
echo "production: 401 without a token, 200 with one"
stop_cleanly prod

echo
echo "container test passed in $((SECONDS - started_at)) s"
