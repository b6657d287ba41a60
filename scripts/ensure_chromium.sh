#!/usr/bin/env bash
# Makes sure a headless Chromium is installed (Debian's `chromium`, with DejaVu fonts): the report
# render test (tests/integration/test_report_render.py) loads a generated HTML report in it.
# Idempotent. Only that test needs it, so a machine where it cannot be installed gets a warning,
# not a failed `make setup` (`make demo` works without it; the test fails saying what is missing).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then exit 0; fi
warn() { echo "warning: $*; tests/integration/test_report_render.py will fail" >&2; exit 0; }
if [ "$(id -u)" != 0 ]; then warn "chromium is missing and only root can install it (apt-get install chromium)"; fi

echo "installing chromium from Debian's packages..." >&2
export DEBIAN_FRONTEND=noninteractive
packages=(chromium fonts-dejavu-core)
# The package index may be stale or missing on a fresh machine: update once, then install.
if ! apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null 2>&1; then
  apt-get update -q >/dev/null || warn "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null || warn "apt-get install chromium failed"
fi
command -v chromium >/dev/null 2>&1 || warn "chromium was installed but is not on PATH"
