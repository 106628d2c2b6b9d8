"""The dlsched executable links no MPI, CUDA, cuBLAS, NCCL, OpenBLAS or Python library: those
come with the runtime modules (dlsched_mpi.so, dlsched_backend_cuda.so, dlsched_python.so)
loaded by the commands that need them. A change that links one of them into the executable
again fails here. Also checked: the executable runs its light commands alone, without any
module beside it, and a missing module or a module whose libraries are missing is exit 2
naming what is missing. Run by ctest as `/usr/bin/python3 test_startup_modules.py` with
DLSCHED (the binary) and DLSCHED_SOURCE_DIR in the environment.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

DLSCHED = os.environ.get("DLSCHED", "dlsched")
SOURCE_DIR = os.environ.get("DLSCHED_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD_DIR = os.path.dirname(os.path.abspath(DLSCHED))
TINY = os.path.join(SOURCE_DIR, "tests", "mpi", "data", "tiny-2gpu.csv")
MODELS = os.path.join(SOURCE_DIR, "jobs", "models.toml")
HEAVY = re.compile(r"^lib(cudart|cublas|cublasLt|nccl|cuda|mpi|open-pal|open-rte|openblas|"
                   r"python3)[.\d]*\.so")


def needed(path):
    """The NEEDED entries of an ELF file's dynamic section."""
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def module(name):
    return os.path.join(BUILD_DIR, name)


def run(argv, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "DLSCHED_MODULE_DIR"}
    # Open MPI as root (containers, CI) and two ranks on any number of cores.
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_mpi_yield_when_idle="1")
    env.update(env_extra or {})
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)


class ExecutableLinks(unittest.TestCase):
    def test_executable_needs_no_heavy_library(self):
        libs = needed(DLSCHED)
        self.assertIn("libc.so.6", libs)  # the parse found the entries at all
        heavy = [lib for lib in libs if HEAVY.match(lib)]
        self.assertEqual(heavy, [], f"{DLSCHED} links {heavy}; they belong in a runtime module")

    def test_modules_carry_the_heavy_libraries(self):
        # Where a module is built, the library it exists for is its own dependency: the check
        # above would catch it moving back into the executable.
        expected = {"dlsched_mpi.so": "libmpi", "dlsched_backend_cuda.so": "libcudart",
                    "dlsched_python.so": "libpython3"}
        found = 0
        for name, lib in expected.items():
            if os.path.exists(module(name)):
                found += 1
                self.assertTrue(any(n.startswith(lib) for n in needed(module(name))),
                                f"{name} does not link {lib}")
        if found == 0:
            self.skipTest("no runtime module built (no MPI, CUDA or pybind11)")


class WithoutModules(unittest.TestCase):
    """A copy of the executable in a folder of its own: no module is found beside it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.exe = os.path.join(self.dir, "dlsched")
        shutil.copy2(DLSCHED, self.exe)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_light_commands_run_alone(self):
        r = run([self.exe, "--version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("dlsched "))
        trace = os.path.join(SOURCE_DIR, "jobs", "traces", "tiresias-60_job.csv")
        r = run([self.exe, "trace", "stats", trace])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("60", r.stdout)

    def test_emulate_without_the_mpi_module_names_it(self):
        if not os.path.exists(module("dlsched_mpi.so")):
            self.skipTest("built without MPI")
        r = run([self.exe, "emulate", "--trace", TINY])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("emulate: module dlsched_mpi.so is not installed", r.stderr)
        self.assertIn(self.dir, r.stderr)  # where it looked

    def test_module_dir_variable_finds_the_modules(self):
        if not os.path.exists(module("dlsched_mpi.so")):
            self.skipTest("built without MPI")
        r = run([self.exe, "emulate", "--help"], {"DLSCHED_MODULE_DIR": BUILD_DIR})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--backend", r.stdout)  # the module's full options, not the placeholder


@unittest.skipUnless(os.path.exists(module("dlsched_backend_cuda.so")),
                     "the cuda backend is not built")
class CudaBackendModule(unittest.TestCase):
    """`--backend cuda` where the module or the CUDA runtime is missing, on two MPI ranks: the
    driver makes the backend while it checks the inputs, before any worker uses it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.exe = os.path.join(self.dir, "dlsched")
        shutil.copy2(DLSCHED, self.exe)
        shutil.copy2(module("dlsched_mpi.so"), self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def emulate_cuda(self):
        mpiexec = shutil.which("mpiexec")
        if not mpiexec:
            self.skipTest("no mpiexec")
        return run([mpiexec, "-n", "2", self.exe, "emulate", "--trace", TINY, "--models", MODELS,
                    "--cluster", "1x2:v100", "--backend", "cuda", "--quiet"])

    def test_missing_module_is_named(self):
        r = self.emulate_cuda()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--backend cuda: module dlsched_backend_cuda.so is not installed",
                      r.stderr)

    def test_missing_cuda_runtime_is_named(self):
        # The module as built, except that its NEEDED entry for the CUDA runtime names a
        # library no host has (same length, so the ELF layout is unchanged).
        with open(module("dlsched_backend_cuda.so"), "rb") as f:
            image = f.read()
        real = re.search(rb"libcudart\.so[.\d]*\x00", image).group(0)
        fake = real.replace(b"libcudart", b"libnocuda")
        self.assertEqual(len(fake), len(real))
        with open(os.path.join(self.dir, "dlsched_backend_cuda.so"), "wb") as f:
            f.write(image.replace(real, fake))
        r = self.emulate_cuda()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--backend cuda: cannot load", r.stderr)
        self.assertIn(fake.rstrip(b"\x00").decode(), r.stderr)  # the missing library by name
        self.assertIn("needs the CUDA runtime, cuBLAS and NCCL libraries", r.stderr)


if __name__ == "__main__":
    unittest.main()
