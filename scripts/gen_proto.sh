#!/usr/bin/env bash
# Regenerates grader/v1/*_pb2*.py from protos/. The output is checked in; tests/unit/test_proto_drift.py
# fails when it no longer matches the .proto. Never edit the generated files by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
out=${1:-.}
"$PY" -m grpc_tools.protoc -Iprotos --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" protos/grader/v1/grader.proto
