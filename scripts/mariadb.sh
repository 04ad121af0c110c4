#!/usr/bin/env bash
# Makes sure a MariaDB server answers on 127.0.0.1:3306 for the tests:
# installs it from Debian's packages when missing, starts it when stopped.
# Idempotent; the tests create (and drop) their own databases.
set -euo pipefail

ping_db() { mariadb-admin --protocol=tcp -h127.0.0.1 -P3306 -uroot ping >/dev/null 2>&1; }

if ping_db; then
  exit 0
fi

if [[ ! -x /usr/sbin/mariadbd ]]; then
  echo "mariadb.sh: installing mariadb-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends mariadb-server mariadb-client >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends mariadb-server mariadb-client >/dev/null; }
fi

install -d -o mysql -g mysql /run/mysqld
echo "mariadb.sh: starting mariadbd" >&2
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1

for _ in $(seq 1 300); do
  if ping_db; then
    exit 0
  fi
  sleep 0.1
done
echo "mariadb.sh: MariaDB did not answer on 127.0.0.1:3306 within 30 s" >&2
exit 1
