#!/usr/bin/env bash
# Makes sure bubblewrap (bwrap), the local runtime's sandbox, is installed,
# along with setpriv (util-linux), which drops to the sandbox user inside
# it. Idempotent; installs from Debian's packages when missing.
set -euo pipefail

if command -v bwrap >/dev/null && command -v setpriv >/dev/null; then
  exit 0
fi

echo "bubblewrap.sh: installing bubblewrap" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a parallel job) may hold the lock for a while.
apt_install() { apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends bubblewrap util-linux >/dev/null; }
apt_install 2>/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update >/dev/null && apt_install; }
bwrap --version >&2
