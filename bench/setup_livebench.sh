#!/usr/bin/env bash
# LiveBench's harness beside grader, for bench/livebench_*.py and bench/bigcodebench_references.py:
# its source (from the fetched bare repository, or a clone) in $LIVEBENCH_SRC and its own virtualenv
# in $LIVEBENCH_VENV with its evaluation packages (tensorflow/keras left out: no wheel here) and what
# livebench.process_results.coding.utils imports. Nothing of it goes into grader's tree.
set -euo pipefail
REPO_GIT=${LIVEBENCH_GIT:-/work/.mirror/LiveBench+LiveBench/repo}
SRC=${LIVEBENCH_SRC:-/work/livebench-src}
VENV=${LIVEBENCH_VENV:-/work/lbvenv}
if [ ! -d "$SRC/livebench" ]; then
  mkdir -p "$SRC"
  if [ -d "$REPO_GIT" ]; then git -C "$REPO_GIT" archive HEAD | tar -x -C "$SRC"
  else git clone --depth 1 https://github.com/LiveBench/LiveBench "$SRC"; fi
fi
[ -x "$VENV/bin/python" ] || python3.11 -m venv "$VENV"
grep -v -i -E '^(tensorflow|keras)' "$SRC/livebench/code_runner/requirements_eval.txt" > "$VENV/requirements-eval.txt"
"$VENV/bin/pip" install -q -r "$VENV/requirements-eval.txt"
"$VENV/bin/pip" install -q numpy shortuuid pyyaml httpx openai tenacity python-dotenv rich dataclasses_json unidiff
PYTHONPATH="$SRC" "$VENV/bin/python" -c 'from livebench.process_results.coding.utils import code_generation_process_results'
echo "LiveBench ready: LIVEBENCH_SRC=$SRC LIVEBENCH_PYTHON=$VENV/bin/python"
