#!/usr/bin/env bash
# keystone.sh runs a real Keystone (Debian's "keystone" package, SQLite,
# uwsgi) on loopback for Picasso's integration tests and CI.
#
#   scripts/keystone.sh start    install if needed, start (idempotent), print env
#   scripts/keystone.sh stop     stop the server
#   scripts/keystone.sh status   exit 0 when running and answering
#   scripts/keystone.sh env      print the export lines tests source
#
# Typical use:  eval "$(scripts/keystone.sh start)"
#
# Settings (environment):
#   PICASSO_KEYSTONE_DIR       state dir          (default /var/tmp/picasso-keystone)
#   PICASSO_KEYSTONE_PORT      loopback port      (default 5000)
#   PICASSO_KEYSTONE_ADMIN_PASSWORD, PICASSO_KEYSTONE_SERVICE_PASSWORD
#
# The first start bootstraps with keystone-manage and seeds the service user,
# then snapshots the database and keys; later starts restore that snapshot
# and skip keystone-manage entirely (about 2 s instead of 7 s). The facts
# behind every choice are in docs/keystone.md, Part B.
set -euo pipefail

STATE_DIR=${PICASSO_KEYSTONE_DIR:-/var/tmp/picasso-keystone}
PORT=${PICASSO_KEYSTONE_PORT:-5000}
ADMIN_PASSWORD=${PICASSO_KEYSTONE_ADMIN_PASSWORD:-picasso-admin-secret}
SERVICE_USER=picasso
SERVICE_PROJECT=service
SERVICE_PASSWORD=${PICASSO_KEYSTONE_SERVICE_PASSWORD:-picasso-service-secret}
HASH_ROUNDS=4
# Bump when the seeding below changes, so that old snapshots are not reused.
SEED_VERSION=1
READY_LIMIT_SECONDS=60
# Keystone lives in the system interpreter; a pyenv shim on PATH cannot import it.
PYTHON=/usr/bin/python3

AUTH_URL="http://127.0.0.1:${PORT}/v3"
PIDFILE="${STATE_DIR}/uwsgi.pid"

log() { echo "keystone.sh: $*" >&2; }
die() { log "$*"; exit 1; }

print_env() {
	cat <<EOF
export OS_AUTH_URL=${AUTH_URL}
export OS_ADMIN_USERNAME=admin
export OS_ADMIN_PASSWORD=${ADMIN_PASSWORD}
export OS_ADMIN_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export PICASSO_KEYSTONE_SERVICE_USER=${SERVICE_USER}
export PICASSO_KEYSTONE_SERVICE_PASSWORD=${SERVICE_PASSWORD}
export PICASSO_KEYSTONE_SERVICE_PROJECT=${SERVICE_PROJECT}
EOF
}

master_pid() {
	[[ -s $PIDFILE ]] && tr -d '[:space:]' <"$PIDFILE"
}

master_alive() {
	local pid
	pid=$(master_pid) || return 1
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# answers_token_request succeeds when Keystone issues an admin token.
answers_token_request() {
	"$PYTHON" - "$AUTH_URL" "$ADMIN_PASSWORD" <<'EOF'
import json, sys, urllib.request
url, password = sys.argv[1], sys.argv[2]
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "admin", "domain": {"id": "default"}, "password": password}}}}}
req = urllib.request.Request(url + "/auth/tokens?nocatalog", json.dumps(body).encode(),
                             {"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=2) as resp:
        sys.exit(0 if resp.status == 201 else 1)
except Exception:
    sys.exit(1)
EOF
}

ensure_installed() {
	if dpkg-query -W -f='${Status}' keystone 2>/dev/null | grep -q 'install ok installed'; then
		return
	fi
	log "installing the keystone package (about 45 s)"
	debconf-set-selections <<'EOF'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
EOF
	local install=(apt-get install -y --no-install-recommends keystone)
	if [[ -z $(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$') ]] ||
		! DEBIAN_FRONTEND=noninteractive "${install[@]}" >"${STATE_DIR}/apt.log" 2>&1; then
		log "refreshing package lists"
		apt-get update >>"${STATE_DIR}/apt.log" 2>&1 || die "apt-get update failed, see ${STATE_DIR}/apt.log"
		DEBIAN_FRONTEND=noninteractive "${install[@]}" >>"${STATE_DIR}/apt.log" 2>&1 ||
			die "installing keystone failed, see ${STATE_DIR}/apt.log"
	fi
}

write_config() {
	mkdir -p "${STATE_DIR}/log"
	# Comments stay on their own lines: oslo.config keeps inline ones as values.
	cat >"${STATE_DIR}/keystone.conf" <<EOF
[DEFAULT]
log_dir = ${STATE_DIR}/log
log_file = keystone.log
[database]
connection = sqlite:///${STATE_DIR}/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = ${STATE_DIR}/fernet-keys
[fernet_receipts]
key_repository = ${STATE_DIR}/fernet-keys
[credential]
key_repository = ${STATE_DIR}/credential-keys
[identity]
# bcrypt cost: the default 12 costs ~250 ms per password authentication
password_hash_rounds = ${HASH_ROUNDS}
[cache]
# in-process cache, coherent only because there is a single worker
enabled = true
backend = dogpile.cache.memory
EOF
}

snapshot_key() {
	local version
	version=$(dpkg-query -W -f='${Version}' python3-keystone)
	printf '%s\n' "$PORT" "$ADMIN_PASSWORD" "$SERVICE_USER" "$SERVICE_PASSWORD" \
		"$HASH_ROUNDS" "$SEED_VERSION" "$version" "$STATE_DIR" | sha256sum | cut -c1-16
}

# manage runs keystone-manage, hiding the harmless eventlet teardown noise
# but keeping the output of a failing run.
manage() {
	local out
	if ! out=$(keystone-manage --config-file "${STATE_DIR}/keystone.conf" "$@" 2>&1); then
		printf '%s\n' "$out" >&2
		die "keystone-manage $1 failed"
	fi
}

bootstrap() {
	rm -rf "${STATE_DIR}/keystone.db" "${STATE_DIR}/fernet-keys" "${STATE_DIR}/credential-keys"
	install -d -m 700 "${STATE_DIR}/fernet-keys" "${STATE_DIR}/credential-keys"
	local user group pids=() pid failed=0
	user=$(id -un)
	group=$(id -gn)
	# Independent steps: run them side by side (each costs a Python start).
	manage db_sync & pids+=($!)
	manage fernet_setup --keystone-user "$user" --keystone-group "$group" & pids+=($!)
	manage credential_setup --keystone-user "$user" --keystone-group "$group" & pids+=($!)
	for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
	((failed == 0)) || die "keystone bootstrap failed"
	manage bootstrap --bootstrap-username admin --bootstrap-password "$ADMIN_PASSWORD" \
		--bootstrap-project-name admin --bootstrap-role-name admin \
		--bootstrap-service-name keystone --bootstrap-region-id RegionOne \
		--bootstrap-admin-url "${AUTH_URL}/" --bootstrap-internal-url "${AUTH_URL}/" \
		--bootstrap-public-url "${AUTH_URL}/"
}

# seed creates what Picasso needs beyond the bootstrap: role "service",
# project "service" and the service user holding that role on it.
seed() {
	"$PYTHON" - "$AUTH_URL" "$ADMIN_PASSWORD" "$SERVICE_USER" "$SERVICE_PASSWORD" "$SERVICE_PROJECT" <<'EOF'
import json, sys, urllib.request
url, admin_password, user, password, project = sys.argv[1:6]

def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data, headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
        return resp.headers.get("X-Subject-Token"), json.loads(raw) if raw else None

token, _ = call("POST", "/auth/tokens?nocatalog", {"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": admin_password}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
_, role = call("POST", "/roles", {"role": {"name": "service"}}, token)
_, proj = call("POST", "/projects", {"project": {
    "name": project, "domain_id": "default", "description": "Service users"}}, token)
_, usr = call("POST", "/users", {"user": {
    "name": user, "domain_id": "default", "password": password}}, token)
call("PUT", "/projects/%s/users/%s/roles/%s" % (proj["project"]["id"], usr["user"]["id"],
                                                role["role"]["id"]), None, token)
EOF
}

# register_picasso makes sure, on every start, that the catalog has the
# "picasso" service (type "functions") that unified limits are registered
# under, and that the service user holds "reader" on the system scope:
# Keystone shows one project's limits to another project's user only on a
# system-scoped token. Each step looks before it creates, so running it
# again changes nothing.
register_picasso() {
	"$PYTHON" - "$AUTH_URL" "$ADMIN_PASSWORD" "$SERVICE_USER" <<'EOF'
import json, sys, urllib.parse, urllib.request
url, admin_password, user = sys.argv[1:4]

def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data, headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
        return resp.headers.get("X-Subject-Token"), json.loads(raw) if raw else None

def only_id(path, key):
    _, found = call("GET", path, token=token)
    if len(found[key]) != 1:
        sys.exit("keystone.sh: expected one match for %s, found %d" % (path, len(found[key])))
    return found[key][0]["id"]

token, _ = call("POST", "/auth/tokens?nocatalog", {"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": admin_password}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
_, services = call("GET", "/services?name=picasso", token=token)
if not [s for s in services["services"] if s["name"] == "picasso"]:
    call("POST", "/services", {"service": {
        "name": "picasso", "type": "functions", "description": "Functions-as-a-Service"}}, token)
user_id = only_id("/users?name=" + urllib.parse.quote(user) + "&domain_id=default", "users")
reader_id = only_id("/roles?name=reader", "roles")
# openstack role add --user picasso --user-domain Default --system all reader
call("PUT", "/system/users/%s/roles/%s" % (user_id, reader_id), None, token)
EOF
}

save_snapshot() {
	local dest=$1 tmp="$1.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	sqlite3 "${STATE_DIR}/keystone.db" ".backup '${tmp}/keystone.db'"
	cp -a "${STATE_DIR}/fernet-keys" "${STATE_DIR}/credential-keys" "$tmp/"
	rm -rf "$dest"
	mv "$tmp" "$dest"
}

restore_snapshot() {
	local src=$1
	rm -rf "${STATE_DIR}/keystone.db" "${STATE_DIR}/fernet-keys" "${STATE_DIR}/credential-keys"
	cp -a "${src}/keystone.db" "${src}/fernet-keys" "${src}/credential-keys" "${STATE_DIR}/"
}

port_in_use() {
	ss -Hltn "sport = :${PORT}" 2>/dev/null | grep -q .
}

serve() {
	rm -f "$PIDFILE"
	# One process, one thread: SQLite fails with more (docs/keystone.md B5).
	# fd 9 is our lock: the daemon must not inherit it, or it holds it forever.
	uwsgi --plugins http,python3 --wsgi-file /usr/bin/keystone-wsgi-public \
		--env "OS_KEYSTONE_CONFIG_DIR=${STATE_DIR}" \
		--http "127.0.0.1:${PORT}" --http-keepalive \
		--master --processes 1 --threads 1 \
		--lazy-apps --die-on-term --no-orphans --skip-atexit-teardown \
		--buffer-size 65535 --chdir "$STATE_DIR" \
		--pidfile "$PIDFILE" --daemonize "${STATE_DIR}/log/uwsgi.log" >/dev/null 9>&-
}

wait_ready() {
	local deadline=$((SECONDS + READY_LIMIT_SECONDS))
	while ! answers_token_request; do
		if ((SECONDS >= deadline)); then
			stop_server
			die "Keystone not ready after ${READY_LIMIT_SECONDS} s, see ${STATE_DIR}/log"
		fi
		# The pidfile appears shortly after daemonizing; once it exists the
		# master must stay alive, or the server is crash-looping.
		if [[ -s $PIDFILE ]] && ! master_alive; then
			die "uwsgi exited during start-up, see ${STATE_DIR}/log/uwsgi.log"
		fi
		sleep 0.1
	done
}

stop_server() {
	local pid
	pid=$(master_pid) || return 0
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && die "uwsgi master ${pid} did not stop"
	fi
	rm -f "$PIDFILE"
}

cmd_start() {
	if master_alive && answers_token_request; then
		register_picasso
		print_env
		return
	fi
	stop_server
	port_in_use && die "port ${PORT} is already in use by another process"
	ensure_installed
	write_config
	local snapshot
	snapshot="${STATE_DIR}/snapshots/$(snapshot_key)"
	if [[ -f "${snapshot}/keystone.db" ]]; then
		restore_snapshot "$snapshot"
		serve
		wait_ready
	else
		log "first start: bootstrapping"
		bootstrap
		serve
		wait_ready
		seed
		mkdir -p "${STATE_DIR}/snapshots"
		save_snapshot "$snapshot"
	fi
	register_picasso
	log "Keystone ready at ${AUTH_URL}"
	print_env
}

cmd_status() {
	if master_alive && answers_token_request; then
		echo "running at ${AUTH_URL} (pid $(master_pid))"
		return 0
	fi
	echo "not running"
	return 1
}

main() {
	case ${1:-} in
	start | stop)
		mkdir -p "$STATE_DIR"
		# Serialise concurrent invocations (parallel CI jobs on one host).
		exec 9>"${STATE_DIR}/.lock"
		flock 9
		"cmd_$1"
		;;
	status) cmd_status ;;
	env) print_env ;;
	*)
		echo "usage: $0 {start|stop|status|env}" >&2
		exit 2
		;;
	esac
}

cmd_stop() { stop_server; }

main "$@"
