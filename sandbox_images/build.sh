#!/usr/bin/env bash
# Builds a sandbox image offline, idempotently: seconds when nothing changed.
#   sandbox_images/build.sh [python|bigcodebench]      (default: python)
# python:
# 1. a base image from Debian's packages with debootstrap (no registry needed), once per machine;
# 2. the sandbox image on top, tagged with a hash of its Dockerfile and the runner's sources, and
#    re-tagged :latest, which is what `grader serve` uses by default (or the name in
#    GRADER_SANDBOX_IMAGE, which the server and the tests then use: one checkout's build does not
#    retag another's on a shared engine).
# bigcodebench: the python image plus the wheels pinned in sandbox_images/bigcodebench/requirements.lock,
#    downloaded on the host into a cache (GRADER_WHEEL_CACHE, default /var/cache/grader/wheels, reused
#    when present) and installed with no network; tagged by a hash of the python image, its Dockerfile
#    and the lock, re-tagged :latest (or GRADER_SANDBOX_IMAGE's tag, or GRADER_BIGCODEBENCH_IMAGE).
set -euo pipefail
cd "$(dirname "$0")/.."
lang=${1:-python}
suite=${DEBIAN_SUITE:-bookworm}
# numpy: model-written solutions use it, and EvalPlus's reference environment has it;
# sortedcontainers: LeetCodeDataset's header imports it.
python_include=python3,python3-numpy,python3-sortedcontainers

# The base's tag names what it holds, so changing the package list builds a new one.
base_name() { echo "grader-base-$1:$suite-$(echo "$2" | sha256sum | cut -c1-8)"; }

build_bigcodebench() {
  local python_image base dir=sandbox_images/bigcodebench image=grader-sandbox-bigcodebench hash alias
  python_image=$(sandbox_images/build.sh python | tail -1)
  base=$(base_name python "$python_include")
  hash=$( (echo "$python_image"; cat "$dir/Dockerfile" "$dir/requirements.lock" "$dir/pip.lock") \
    | sha256sum | cut -c1-12)
  if ! docker image inspect "$image:$hash" >/dev/null 2>&1; then
    local cache=${GRADER_WHEEL_CACHE:-/var/cache/grader/wheels}
    local locks=(-r "$dir/requirements.lock" -r "$dir/pip.lock")
    [ -x .venv/bin/python ] && export GRADER_PIP_PYTHON=${GRADER_PIP_PYTHON:-.venv/bin/python}
    source "$dir/pip.sh"
    ctx=$(mktemp -d /tmp/grader-ctx.XXXXXX)   # global: the EXIT trap outlives this function
    trap 'rm -rf "$ctx"' EXIT
    # Exactly the locked files, their hashes checked, from the cache with no index (it may hold
    # others); what it lacks is downloaded first.
    if ! grader_pip download -q --no-index --find-links "$cache" --no-deps --require-hashes "${locks[@]}" \
        -d "$ctx/wheels" 2>/dev/null; then
      echo "downloading the wheels of $dir/requirements.lock into $cache (about 330 MB)..."
      mkdir -p "$cache"
      grader_pip download -q --no-deps --require-hashes "${locks[@]}" -d "$cache"
      grader_pip download -q --no-index --find-links "$cache" --no-deps --require-hashes "${locks[@]}" \
        -d "$ctx/wheels"
    fi
    cp "$dir/Dockerfile" "$dir/requirements.lock" "$ctx/"
    docker build -q --network none --build-arg BASE_IMAGE="$base" --build-arg SANDBOX_IMAGE="$python_image" \
      --label grader.image-hash="$hash" -t "$image:$hash" "$ctx" >/dev/null 2> >(grep -v -e DEPRECATED \
      -e 'Install the buildx' -e docs.docker.com/go/buildx -e '^ *$' >&2)
    rm -rf "$ctx"
    trap - EXIT
  fi
  alias=$image:latest
  if [ -n "${GRADER_BIGCODEBENCH_IMAGE:-}" ]; then alias=$GRADER_BIGCODEBENCH_IMAGE
  elif [ -n "${GRADER_SANDBOX_IMAGE:-}" ]; then alias=$image:${GRADER_SANDBOX_IMAGE##*:}; fi
  docker tag "$image:$hash" "$alias"
  echo "$image:$hash"
}

case $lang in
  python) include=$python_include ;;
  bigcodebench) build_bigcodebench; exit 0 ;;
  *) echo "unknown sandbox language: $lang" >&2; exit 2 ;;
esac
base=$(base_name "$lang" "$include")
image=grader-sandbox-$lang

if ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { apt-get update -q && apt-get install -y -q debootstrap; }
  rootfs=$(mktemp -d /tmp/grader-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  echo "building $base with debootstrap (about a minute)..."
  debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" >/tmp/grader-debootstrap.log 2>&1 \
    || { tail -20 /tmp/grader-debootstrap.log >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
fi

docker tag "$base" "grader-base-$lang:latest"   # what the service image builds on

hash=$( (echo "$base"; cat "sandbox_images/$lang/Dockerfile" grader/runner/*.py) | sha256sum | cut -c1-12)
if ! docker image inspect "$image:$hash" >/dev/null 2>&1; then
  ctx=$(mktemp -d /tmp/grader-ctx.XXXXXX)
  cp "sandbox_images/$lang/Dockerfile" "$ctx/"
  mkdir "$ctx/runner" && cp grader/runner/*.py "$ctx/runner/"
  docker build -q --network none --build-arg BASE_IMAGE="$base" --label grader.runner-hash="$hash" \
    -t "$image:$hash" "$ctx" >/dev/null
  rm -rf "$ctx"
fi
alias=$image:latest
if [ "$lang" = python ] && [ -n "${GRADER_SANDBOX_IMAGE:-}" ]; then alias=$GRADER_SANDBOX_IMAGE; fi
docker tag "$image:$hash" "$alias"
echo "$image:$hash"
