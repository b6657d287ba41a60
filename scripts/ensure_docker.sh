#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io and starts dockerd when none does.
# Also installs gVisor's runsc from Debian and registers it as the engine's `runsc` runtime
# (merged into /etc/docker/daemon.json; a running engine is reloaded with SIGHUP, never restarted).
# Idempotent; the sandboxes use --network none, so dockerd runs without its bridge and iptables.
set -euo pipefail
DAEMON_JSON=/etc/docker/daemon.json
RUNSC=/usr/bin/runsc
# Without --network=none this runsc (Debian's 2022 build) refuses to start containers here.
# --oci-seccomp makes runsc apply the container's seccomp profile inside the sandbox (it ignores it
# otherwise): the grader's gVisor profile (grader/sandbox/gvisor-seccomp.json) refuses POSIX
# message queues, which this runsc gives no /dev/mqueue to wipe between submissions.
RUNSC_ARGS='["--network=none", "--oci-seccomp"]'

# True when the engine has the runsc runtime with exactly these arguments.
runsc_registered() {
  docker info --format '{{json .Runtimes}}' 2>/dev/null | python3 -c '
import json, sys
runsc = json.load(sys.stdin).get("runsc") or {}
sys.exit(runsc.get("runtimeArgs") != json.loads(sys.argv[1]))' "$RUNSC_ARGS" 2>/dev/null
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -q >/dev/null; APT_UPDATED=1; fi
  apt-get install -y -q "$@" >/dev/null
}

# Adds (or updates) the runsc runtime in daemon.json, keeping every other setting (and other
# runtimes) as is.
register_runsc() {
  mkdir -p "$(dirname "$DAEMON_JSON")"
  python3 - "$DAEMON_JSON" "$RUNSC" "$RUNSC_ARGS" <<'PY'
import json, os, sys
path, runsc, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
config = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        config = json.load(f)
wanted = {"path": runsc, "runtimeArgs": args}
if config.get("runtimes", {}).get("runsc") != wanted:
    config.setdefault("runtimes", {})["runsc"] = wanted
    tmp = path + ".new"
    with open(tmp, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
PY
}

wait_for_engine() {
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
  tail -20 /var/log/dockerd.log >&2 || true
  return 1
}

if docker info >/dev/null 2>&1 && runsc_registered; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  if docker info >/dev/null 2>&1; then
    echo "warning: the engine has no runsc runtime (gVisor) with arguments $RUNSC_ARGS; only root" \
      "can install and register it, so --runtime runsc and 'make test-runsc' will fail" >&2
    exit 0
  fi
  echo "no Docker engine answers, and only root can install and start one here" >&2; exit 1
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x "$RUNSC" ] || missing+=(runsc)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages..." >&2
  apt_install "${missing[@]}"
fi
register_runsc

if pgrep -x dockerd >/dev/null 2>&1; then
  wait_for_engine
  if ! runsc_registered; then
    echo "reloading dockerd (SIGHUP) to register the runsc runtime ($RUNSC_ARGS)..." >&2
    pid=$(cat /var/run/docker.pid 2>/dev/null || pgrep -o -x dockerd)
    kill -HUP "$pid"
    for _ in $(seq 1 20); do runsc_registered && break; sleep 0.5; done
  fi
else
  echo "starting dockerd..." >&2
  setsid dockerd --bridge=none --iptables=false >/var/log/dockerd.log 2>&1 < /dev/null &
  wait_for_engine
fi
if ! runsc_registered; then
  echo "dockerd did not register the runsc runtime ($RUNSC_ARGS) from $DAEMON_JSON;" \
    "see /var/log/dockerd.log" >&2
  exit 1
fi
