#!/usr/bin/env bash
# Builds the project's wasm kernels from kernels.c with Debian's clang-14 / lld-14 (apt-get install
# clang-14 lld-14); no Emscripten, no libc. Two builds of the same source:
#   darla-kernels.wasm          imports an unshared memory (tfjs's single-threaded wasm build)
#   darla-kernels-threads.wasm  imports a shared memory (tfjs's threaded build), atomic tile counter
# The outputs are committed, so `npm ci` needs no compiler; test/vision/compute/native-build.test.ts
# rebuilds them (when clang-14 is installed, as in CI) and checks they are byte-identical.
# Usage: build.sh [output-dir]   (default: this folder)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
clang="${CLANG:-clang-14}"
if ! command -v "$clang" >/dev/null 2>&1; then
  echo "build.sh: $clang not found (apt-get install clang-14 lld-14)" >&2
  exit 1
fi
common=(--target=wasm32 -O3 -msimd128 -mbulk-memory -mmutable-globals -nostdlib -ffreestanding
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--import-memory -Wl,--export=__stack_pointer -Wl,--strip-debug)
"$clang" "${common[@]}" -o "$out/darla-kernels.wasm" "$here/kernels.c"
"$clang" "${common[@]}" -matomics -DDARLA_THREADS -Wl,--shared-memory -Wl,--max-memory=4294967296 \
  -o "$out/darla-kernels-threads.wasm" "$here/kernels.c"
chmod 644 "$out/darla-kernels.wasm" "$out/darla-kernels-threads.wasm"
