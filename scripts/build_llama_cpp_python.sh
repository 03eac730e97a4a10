#!/usr/bin/env bash
# Builds llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`) from its pinned sdist, CPU
# only, into a virtual environment of its own (its server pins its own fastapi/pydantic-settings; the app's
# environment stays as requirements.txt says). Cached on the machine by version outside the repository and
# reused when present. Prints the interpreter to run it with as a shell export:
#   eval "$(bash scripts/build_llama_cpp_python.sh)"
# Needs PyPI and (when cmake/g++ are missing) Debian's packages; nothing else from outside.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"   # pinned: the same release build_llama_server.sh uses
CACHE_ROOT="${SMOL_TRADER_CACHE:-/var/cache/smol-trader}"
JOBS="${LLAMA_BUILD_JOBS:-2}"

venv="$CACHE_ROOT/llama-cpp-python-$LLAMA_CPP_PYTHON_VERSION"
python_bin="$venv/bin/python"
log() { echo "build_llama_cpp_python: $*" >&2; }

mkdir -p "$CACHE_ROOT"
if [ -x "$python_bin" ] && "$python_bin" -c "import llama_cpp.server.app" >/dev/null 2>&1; then
  log "reusing $venv"
else
  work="$(mktemp -d "$CACHE_ROOT/.work.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  if ! command -v cmake >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then
    log "installing cmake and g++ from Debian"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++ make >&2
  fi
  log "downloading llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION (sdist)"
  pip download -q --no-binary :all: --no-deps "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$work" >&2
  start=$(date +%s)
  # The same portable CPU flags as llama-server's build; no llava/mtmd library, no tools, no tests.
  export CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_OPENMP=OFF -DGGML_CPU_REPACK=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF \
-DLLAMA_BUILD_SERVER=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF"
  export CMAKE_BUILD_PARALLEL_LEVEL="$JOBS"
  log "compiling (about 30-50 minutes on 2 cores)"
  pip wheel -q --no-deps "$work"/llama_cpp_python-"$LLAMA_CPP_PYTHON_VERSION".tar.gz -w "$work/wheel" \
    >"$work/build.log" 2>&1 || { tail -60 "$work/build.log" >&2; exit 1; }
  rm -rf "$venv.tmp"
  python3 -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install -q "$(ls "$work"/wheel/llama_cpp_python-*.whl)[server]" >&2
  echo "built in $(( $(date +%s) - start )) s from llama-cpp-python $LLAMA_CPP_PYTHON_VERSION" > "$venv.tmp/BUILD"
  rm -rf "$venv" && mv "$venv.tmp" "$venv"
  # A venv's scripts name its own path; the interpreter link is what the tests run, and it moved with the rename.
  log "$(cat "$venv/BUILD") -> $python_bin"
fi

echo "export LLAMA_CPP_PYTHON_BIN=$python_bin"
