#!/usr/bin/env bash
# Build the C kernels with AddressSanitizer + UndefinedBehaviorSanitizer in a scratch
# copy of this checkout and run the kernel tests under them. Exit 0 only if the
# sanitizers are live (a planted overflow is caught) and the tests report zero errors.
#   scripts/sanitize.sh [extra pytest args]      (about 2-4 minutes)
# CC picks the compiler whose libasan is preloaded (default gcc); PYTHON the interpreter.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python}"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/tg-sanitize.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT

# the working tree as it is (tracked and new files), without build outputs
(cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c \
    'test -e "$1" && printf "%s\0" "$1" || true' _ {} | tar --null -T - -cf -) \
    | tar -xf - -C "$SCRATCH"
cd "$SCRATCH"
echo "== building with TG_SANITIZE=1 in $SCRATCH"
TG_SANITIZE=1 "$PY" setup.py -q build_ext --inplace >build.log 2>&1 || { cat build.log; exit 1; }

LIBASAN="$(${CC:-gcc} -print-file-name=libasan.so)"
[ -e "$LIBASAN" ] || { echo "libasan.so not found (gcc -print-file-name)"; exit 1; }
export LD_PRELOAD="$LIBASAN"
# Python's own allocations are not ours to judge (detect_leaks=0); huge requests
# return NULL so numpy raises MemoryError instead of ASan aborting.
# Reports go to stderr; pytest runs with -s below, because its capture would swallow
# the report of a process that a sanitizer stops (UBSan ignores log_path here).
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export PYTHONPATH=src TG_BACKEND=c TG_MALLOC_TUNE=0 OMP_WAIT_POLICY=passive
export TG_FUZZ_EXAMPLES="${TG_FUZZ_EXAMPLES:-200}"

"$PY" - <<'PYEOF'
import tinygrad_edu as tg
flags = tg.backend_info()["cflags"]
assert "-fsanitize=address,undefined" in flags, flags
print("== extension built with:", flags)
PYEOF

echo "== self-test: a planted heap overflow must be reported"
set +e
"$PY" - >selftest.log 2>&1 <<'PYEOF'
import numpy as np
from tinygrad_edu.backend import c_backend as c
x = np.ones(8, np.float32)
out = np.empty(8, np.float32)
k = c._KERNELS[x.dtype]
# 9 elements of 8-element buffers: one float past the end of each
c._lib.tg_unary_f32(c._lib.TG_NEG, 0.0, c._ptr(k, x), 9, c._ptr(k, out))
PYEOF
set -e
if grep -q "heap-buffer-overflow" selftest.log; then
    echo "   caught: $(grep -m1 -o 'heap-buffer-overflow on address [0-9a-fx]*' selftest.log)"
else
    echo "sanitizer self-test FAILED: the planted overflow went unnoticed"; exit 1
fi

echo "== kernel tests under ASan + UBSan (fuzz: $TG_FUZZ_EXAMPLES examples per test)"
set +e
tests=()
for f in tests/test_c_backend.py tests/test_gemm.py tests/test_fused.py tests/test_fuzz_kernels.py \
         tests/test_conv_kernels.py tests/test_layernorm_kernels.py tests/test_batchnorm_kernels.py tests/test_index_add_kernel.py tests/test_lstm_kernel.py \
         tests/test_optim.py tests/test_losses.py tests/test_nn_layers.py; do
    [ -e "$f" ] && tests+=("$f")  # test_fused.py: where the fused kernels exist
done
"$PY" -m pytest -q -s -p no:cacheprovider "${tests[@]}" "$@" 2>&1 | tee pytest.log
status=${PIPESTATUS[0]}
set -e
reports=$(grep -cE "ERROR: AddressSanitizer|runtime error:" pytest.log || true)
echo "== sanitizer reports: $reports; pytest exit status: $status"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
