#!/usr/bin/env bash
# Runs before `npm test`: the Redis suites start their own redis-server on 127.0.0.1, so the binary
# must be on PATH. As root on Debian (CI, fresh machines) it is installed from Debian's packages;
# elsewhere this prints how to install it and fails, so the suites never skip silently.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server not found: installing it from Debian's packages for the Redis test suites." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi

echo "redis-server not found. The Redis test suites need it on PATH:" >&2
echo "  Debian/Ubuntu: sudo apt-get install redis-server    macOS: brew install redis" >&2
exit 1
