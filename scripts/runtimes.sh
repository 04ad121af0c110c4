#!/usr/bin/env bash
# Makes sure the interpreters of the local runtime's language runtimes are
# installed: python3 (Debian's /usr/bin/python3), nodejs and bash.
# Idempotent; installs from Debian's packages when missing.
set -euo pipefail

missing=()
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v curl >/dev/null || missing+=(curl) # the README test runs its curl lines
command -v node >/dev/null || missing+=(nodejs)
command -v bash >/dev/null || missing+=(bash)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "runtimes.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >/dev/null; }
apt_install 2>/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update >/dev/null && apt_install; }
