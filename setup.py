"""Build the synsim package: the C core compiled into the SWIG extension
synsim._core, and the pure-Python layer from bindings/python."""
import glob

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildPyAfterExt(build_py):
    """SWIG writes core.py while building the extension; build_py must run
    after it, or the wheel would miss that module."""

    def run(self):
        self.run_command("build_ext")
        super().run()


core = Extension(
    "synsim._core",
    sources=["bindings/synsim.i"] + sorted(glob.glob("core/src/*/*.c")),
    include_dirs=["core/include", "core/src"],
    swig_opts=["-Icore/include", "-outdir", "bindings/python/synsim"],
    extra_compile_args=["-std=c11", "-O2", "-D_POSIX_C_SOURCE=200809L"],
    libraries=["m"],
)

setup(
    packages=["synsim", "synsim.experiments"],
    package_dir={"synsim": "bindings/python/synsim", "synsim.experiments": "experiments"},
    ext_modules=[core],
    cmdclass={"build_py": BuildPyAfterExt},
)
