#!/usr/bin/env bash
# Makes sure the brokers the trigger tests use are there: installs
# rabbitmq-server and nats-server from Debian's packages when missing (the
# broker-restart tests start private instances of both), and starts the
# shared RabbitMQ (127.0.0.1:5672, guest/guest) and NATS with JetStream
# (127.0.0.1:4222) when nothing answers on their ports. Idempotent; it never
# stops or restarts a running broker.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

missing=()
[[ -x /usr/sbin/rabbitmq-server ]] || missing+=(rabbitmq-server)
[[ -x /usr/sbin/nats-server ]] || missing+=(nats-server)
if ((${#missing[@]})); then
  echo "brokers.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

if ! answers 5672; then
  echo "brokers.sh: starting rabbitmq-server" >&2
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/rabbitmq-server
fi
if ! answers 4222; then
  echo "brokers.sh: starting nats-server with JetStream" >&2
  install -d /var/lib/nats
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats
fi

for _ in $(seq 1 600); do
  if answers 5672 && answers 4222; then
    exit 0
  fi
  sleep 0.1
done
echo "brokers.sh: RabbitMQ (5672) or NATS (4222) did not answer within 60 s" >&2
exit 1
