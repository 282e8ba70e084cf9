"""Build script. The C extension is optional: when it cannot be compiled (no
compiler, unsupported platform) installation still succeeds with a warning
and tinygrad_edu runs on its numpy backend. Metadata lives in pyproject.toml."""
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext that warns instead of failing."""

    def run(self):
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - any build failure means "numpy only"
            self._warn(e)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as e:  # noqa: BLE001
            self._warn(e)

    @staticmethod
    def _warn(err):
        print(f"WARNING: tinygrad_edu C kernels were not built ({err}); "
              "the library will use its numpy backend.", file=sys.stderr)


setup(
    cffi_modules=["src/tinygrad_edu/_build.py:ffibuilder"],
    cmdclass={"build_ext": OptionalBuildExt},
)
