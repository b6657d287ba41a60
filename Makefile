# make setup | demo | test | test-runsc | mutate | lint | proto | image
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: setup demo test test-unit test-runsc mutate mutate-changed mutate-record lint proto image docker clean

setup: $(VENV_STAMP) docker image ; scripts/ensure_chromium.sh

$(VENV_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(VENV_STAMP)

docker:
	scripts/ensure_docker.sh

# Both sandbox images; bigcodebench downloads its wheels with the venv's pip (docs/operations.md).
image: docker $(VENV_STAMP)
	sandbox_images/build.sh python
	sandbox_images/build.sh bigcodebench

demo: setup
	.venv/bin/grader demo

test: setup lint
	$(PY) -m pytest -q tests

# The attack suite and the sandbox integration tests again, in gVisor (scripts/ensure_docker.sh
# registers runsc with the engine).
test-runsc: setup
	GRADER_TEST_RUNTIME=runsc $(PY) -m pytest -q tests/security tests/integration/test_grading.py \
		tests/integration/test_pool_isolation.py tests/integration/test_bigcodebench_image.py

# The hypothesis properties, randomized (fresh examples each run, unlike CI's fixed ones) and
# much longer: nightly-style, not in CI. A failure prints the blob that replays it.
FUZZ_EXAMPLES ?= 2000
FUZZ_API_EXAMPLES ?= 300
FUZZ_TIMEOUT_S ?= 7200
.PHONY: fuzz
fuzz: setup
	GRADER_HYPOTHESIS_PROFILE=fuzz GRADER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		GRADER_FUZZ_API_EXAMPLES=$(FUZZ_API_EXAMPLES) \
		$(PY) -m pytest -q -m hypothesis --timeout=$(FUZZ_TIMEOUT_S) tests/unit tests/integration

test-unit: $(VENV_STAMP)
	$(PY) -m pytest -q tests/unit

# Mutation testing of the modules that decide verdicts and limits, against tests/unit (mutmut,
# [tool.mutmut] in pyproject.toml): per-module scores; fails under 90 % killed (docs/testing.md).
# Results are kept in mutants/: a second run retests only the functions that changed.
mutate: $(VENV_STAMP)
	$(PY) scripts/mutation_score.py --run

# Only the modules whose source changed since tests/mutation/scores.txt was last committed (make
# mutate-record writes it): CI's fallback should the whole run outgrow its budget.
mutate-changed: $(VENV_STAMP)
	$(PY) scripts/mutation_score.py --run --changed

mutate-record: $(VENV_STAMP)
	$(PY) scripts/mutation_score.py --run --record

lint: $(VENV_STAMP)
	.venv/bin/ruff check grader tests bench scripts
	.venv/bin/ruff format --check grader tests bench scripts
	.venv/bin/mypy

proto: $(VENV_STAMP)
	scripts/gen_proto.sh

clean:
	rm -rf .venv .pytest_cache .mypy_cache mutants
