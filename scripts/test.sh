#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: starts (installing when
# missing) MariaDB and a real Keystone on loopback, installs bubblewrap for
# the local runtime's sandbox, checks formatting and
# vet, runs every test, the race detector on the concurrent packages and
# each fuzz target for a short, bounded time, then builds and runs the
# container image (scripts/container-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${PICASSO_FUZZTIME:-10s}"

step() { printf '\n== %s\n' "$*"; }

step "services"
scripts/mariadb.sh
scripts/bubblewrap.sh
scripts/runtimes.sh
scripts/brokers.sh
scripts/keystone.sh start
eval "$(scripts/keystone.sh env)"

step "gofmt"
unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
if [[ -n "$unformatted" ]]; then
  echo "not gofmt-ed:" >&2
  echo "$unformatted" >&2
  exit 1
fi

step "go vet"
go vet ./...

step "go test"
go test -count=1 ./...

step "go test -race (concurrent packages)"
go test -count=1 -race ./gateway/... ./keystone/... ./quota/... ./backend/local/... ./backend/ironfunctions/... ./backend/driver/... ./internal/logwriter/... ./internal/rawio/... ./internal/runtimefit/... ./schedule/... ./execution/...
# The trigger consumers are concurrent too; their broker-restart tests
# already ran above and boot private brokers, so they are skipped here.
go test -count=1 -race -skip 'RestartLosesNothing' ./trigger/... ./amqp/... ./nats/...

# fuzz_one fuzzes one target. Go 1.26's fuzzing coordinator can report
# the end of its own -fuzztime as a failure ("context deadline exceeded",
# and no failing input written to testdata/fuzz): that failure, and only
# that one, is run again once. A failing input always fails the run.
fuzz_one() {
  local pkg="$1" target="$2" out before after
  local corpus="$pkg/testdata/fuzz/$target"
  before="$( (ls "$corpus" 2>/dev/null || true) | wc -l)"
  if out="$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg" 2>&1)"; then
    printf '%s\n' "$out"
    return 0
  fi
  printf '%s\n' "$out"
  after="$( (ls "$corpus" 2>/dev/null || true) | wc -l)"
  if [[ "$after" == "$before" ]] && grep -qx '    context deadline exceeded' <<<"$out"; then
    echo "fuzz: $target stopped on the coordinator's own deadline, with no failing input: once more"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg"
    return
  fi
  return 1
}

step "fuzz (${FUZZTIME} each)"
while read -r pkg target; do
  fuzz_one "$pkg" "$target"
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | sed "s|^|$(dirname "$f") |"
done)

step "container image"
scripts/container-test.sh

echo
echo "all checks passed"
