# Sourced by lock.sh and build.sh: pip as both run it, for the image's interpreter and platform.
# Wheels only (nothing from PyPI runs at build time), from PyPI itself, ignoring the host's pip
# configuration: --isolated skips the environment's and the user's, PIP_CONFIG_FILE=/dev/null the
# global and site files (a machine's find-links, extra indexes or constraints never reach the lock).
GRADER_PIP_TARGET=(--only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 --abi abi3
  --abi none --platform manylinux1_x86_64 --platform manylinux2010_x86_64 --platform manylinux2014_x86_64)
for glibc in 24 28 31 34 35 36; do GRADER_PIP_TARGET+=(--platform "manylinux_2_${glibc}_x86_64"); done

grader_pip() {
  local python=python3
  # The checkout's venv has a recent pip; a fresh machine's python3 may have none.
  [ -x "${GRADER_PIP_PYTHON:-}" ] && python=$GRADER_PIP_PYTHON
  PIP_CONFIG_FILE=/dev/null "$python" -m pip --isolated --disable-pip-version-check "$1" "${GRADER_PIP_TARGET[@]}" \
    --index-url "${GRADER_PIP_INDEX_URL:-https://pypi.org/simple}" "${@:2}"
}
