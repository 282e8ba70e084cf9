"""cffi builder (API mode, out-of-line) for the C kernels in csrc/.

setup.py names ``ffibuilder`` in ``cffi_modules``; ``python
src/tinygrad_edu/_build.py`` builds the extension in place for development.
Flags are probed on the build machine: ``-mavx2 -mfma`` only when its CPU has
them. Threads come from the kernels' own pthread pool (csrc/pool.c), not
OpenMP, so the process has one pool. Set ``TG_BUILD_NO_SIMD=1`` /
``TG_BUILD_NO_THREADS=1`` (or the older ``TG_BUILD_NO_OPENMP=1``) to leave
either out.
``TG_SANITIZE=1`` builds with AddressSanitizer + UndefinedBehaviorSanitizer
(-O1 -g, frame pointers kept); run it with libasan preloaded (scripts/sanitize.sh).
"""
import os
import platform
import subprocess
import tempfile

from cffi import FFI

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CSRC = os.path.join(ROOT, "csrc")
# no errno and no FP traps: neither is observed from Python, and both block
# vectorising loops with libm calls or selects
BASE_FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math"]
# -O1: sanitizer reports keep the source's shape (no -O3 vectorised remainders)
SANITIZE_FLAGS = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
                  "-fno-math-errno", "-fno-trapping-math"]

_PROBE_CPU = r"""
#include <stdio.h>
int main(void) {
    __builtin_cpu_init();
    printf("%d %d\n", !!__builtin_cpu_supports("avx2"), !!__builtin_cpu_supports("fma"));
    return 0;
}
"""


def header_text():
    """tg_kernels.h without preprocessor lines, ready for ffi.cdef."""
    with open(os.path.join(CSRC, "tg_kernels.h")) as f:
        return "\n".join(ln for ln in f.read().splitlines() if not ln.lstrip().startswith("#"))


def _compiler():
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler
    cc = new_compiler()
    customize_compiler(cc)
    return cc


def _probe(code, cflags, ldflags=(), run=False):
    """Compile and link `code` with the flags; its stdout if run, else True; None on failure."""
    try:
        cc = _compiler()
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "probe.c")
            with open(src, "w") as f:
                f.write(code)
            # probes fail by design on some machines: keep their errors off the console
            with open(os.devnull, "w") as null:
                saved = os.dup(2)
                os.dup2(null.fileno(), 2)
                try:
                    objs = cc.compile([src], output_dir=d, extra_postargs=list(cflags))
                    cc.link_executable(objs, "probe", output_dir=d,
                                       extra_postargs=list(ldflags))
                finally:
                    os.dup2(saved, 2)
                    os.close(saved)
            if not run:
                return True
            exe = os.path.join(d, "probe" + (cc.exe_extension or ""))
            out = subprocess.run([exe], capture_output=True, timeout=30, check=True)
            return out.stdout.decode()
    except Exception:  # any failure just means "without this feature"
        return None


def detect_flags():
    """(compile flags, link flags) for this build machine and compiler."""
    cflags, ldflags = list(BASE_FLAGS), []
    if os.environ.get("TG_SANITIZE", "").strip() not in ("", "0"):
        cflags, ldflags = list(SANITIZE_FLAGS), ["-fsanitize=address,undefined"]
    x86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
    if x86 and not os.environ.get("TG_BUILD_NO_SIMD"):
        cpu = _probe(_PROBE_CPU, [], run=True)
        if cpu and cpu.split() == ["1", "1"] and _probe("int main(void){return 0;}",
                                                         ["-mavx2", "-mfma"]):
            cflags += ["-mavx2", "-mfma"]
    if os.environ.get("TG_BUILD_NO_THREADS") or os.environ.get("TG_BUILD_NO_OPENMP"):
        cflags.append("-DTG_NO_THREADS")
    elif platform.system() != "Windows":
        cflags.append("-pthread")
        ldflags.append("-pthread")
    return cflags, ldflags


def make_builder(absolute=False):
    """The FFI builder; source paths relative to the cwd unless `absolute`."""
    def path(*parts):
        p = os.path.join(CSRC, *parts)
        return p if absolute else os.path.relpath(p)

    cflags, ldflags = detect_flags()
    sources = sorted(f for f in os.listdir(CSRC) if f.endswith(".c"))
    headers = sorted(f for f in os.listdir(CSRC) if f.endswith(".h"))
    builder = FFI()
    builder.cdef(header_text())
    builder.set_source(
        "tinygrad_edu._tg_c",
        "#include <stdint.h>\n#include \"tg_kernels.h\"\n",
        sources=[path(f) for f in sources],
        include_dirs=[path()],
        depends=[path(f) for f in headers],
        define_macros=[("TG_CFLAGS", '"{}"'.format(" ".join(cflags)))],
        extra_compile_args=cflags,
        extra_link_args=ldflags,
    )
    return builder


ffibuilder = None if __name__ == "__main__" else make_builder()

if __name__ == "__main__":
    make_builder(absolute=True).compile(tmpdir=os.path.join(ROOT, "src"), verbose=True)
