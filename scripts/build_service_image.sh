#!/usr/bin/env bash
# Builds the service image offline: grader-service:latest (see the Dockerfile).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
sandbox_images/build.sh python >/dev/null   # also makes the local Debian base image
rm -rf build/service && mkdir -p build/service
"$PY" -m pip install -q --no-compile --target build/service/site . >/dev/null
cp "$(command -v docker)" build/service/docker
docker build -q --network none -t grader-service:latest . >/dev/null
echo grader-service:latest
