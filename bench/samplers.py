"""Benchmark: the two samplers on 4096 rows x 512 categories (float64), on this CPU's SIMD level and on AVX2.

    .venv/bin/python bench/samplers.py                 # make bench; about a minute
    .venv/bin/python bench/samplers.py --simd native   # only the CPU's own SIMD level

Prints the median time of each sampler and its ratio to a reference timed in the same run, with the SIMD level
NumPy and torch dispatch to.  Targets (issue 21), on every CPU, AVX-512 or not:

* ``gumbel_max_sample`` <= 2.5x the floor ``rng.random((4096, 512))``: drawing the uniforms alone;
* ``gumbel_softmax_sample`` <= 0.5x ``torch.nn.functional.gumbel_softmax`` (float64, tau = 0.5), with torch's
  default threads and with one thread.

On a CPU with AVX-512 the script runs a second time in a child process with NumPy's and torch's AVX-512 code paths
switched off (``NPY_DISABLE_CPU_FEATURES``, ``ATEN_CPU_CAPABILITY=avx2``), so both levels are measured on any
machine.  Functions are timed in turn (A, B, C, A, B, C, ...), so that load changes during the run hit them alike;
both wall-clock and CPU-time medians are printed (on a busy machine, the CPU time is the steadier figure).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

from lectures_lib import gumbel_max_sample, gumbel_softmax_sample

ROWS, K, TAU, REPEAT = 4096, 512, 0.5, 21
TARGET_MAX, TARGET_SOFTMAX = 2.5, 0.5


def simd_level() -> str:
    """What NumPy dispatches to here, e.g. "X86_V3 (AVX2)" or "X86_V4 (AVX-512)", and torch's CPU capability."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    disabled = set(os.environ.get("NPY_DISABLE_CPU_FEATURES", "").replace(",", " ").split())
    active = [f for f in __cpu_dispatch__ if __cpu_features__.get(f) and f not in disabled]
    avx512 = any(f.startswith(("AVX512", "X86_V4")) for f in active)
    level = "AVX-512" if avx512 else "AVX2" if __cpu_features__.get("AVX2") else "below AVX2"
    try:
        import torch

        level += f"; torch: {torch.backends.cpu.get_cpu_capability()}"
    except ImportError:
        pass
    return f"numpy {np.__version__} dispatches to {' '.join(active) or 'its baseline'} ({level})"


def avx512_features() -> list[str]:
    """NumPy's dispatch targets that use AVX-512 on this CPU (empty without AVX-512)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        return []
    return [f for f in __cpu_dispatch__ if f.startswith(("AVX512", "X86_V4")) and __cpu_features__.get(f)]


def medians(fns: dict, repeat: int = REPEAT) -> dict:
    """name -> (median wall ms, median CPU ms), the functions timed in turn."""
    for fn in fns.values():
        fn()  # warm-up: allocations, lazy imports, torch's thread pool
    wall = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    return {name: (1e3 * float(np.median(wall[name])), 1e3 * float(np.median(cpu[name]))) for name in fns}


def torch_cases(logits) -> dict:
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("  torch is not installed: no torch reference (pip install torch==2.13.0)")
        return {}
    lt, default = torch.from_numpy(logits), torch.get_num_threads()

    def with_threads(n):
        def run():
            torch.set_num_threads(n)
            F.gumbel_softmax(lt, tau=TAU)
            torch.set_num_threads(default)
        return run

    return {f"torch gumbel_softmax, {default} threads": with_threads(default),
            "torch gumbel_softmax, 1 thread": with_threads(1)}


def report(title: str, results: dict, ours: str, refs: list[str], target: float) -> None:
    """Print every row, then ours / each reference (wall and CPU time) against the target."""
    print(title)
    for name, (wall, cpu) in results.items():
        print(f"  {name:44s} {wall:8.2f} ms wall {cpu:8.2f} ms CPU")
    for ref in refs:
        wall, cpu = (results[ours][i] / results[ref][i] for i in (0, 1))
        verdict = "met" if min(wall, cpu) <= target else "NOT met"
        print(f"  {ours} / {ref}: {wall:.2f}x wall, {cpu:.2f}x CPU (target <= {target}x: {verdict})")


def run_here() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(ROWS, K))
    buf = np.empty((ROWS, K))
    print(f"SIMD: {simd_level()}")
    floor, floor_out = "rng.random((4096, 512))", "rng.random(out=buf), no allocation"
    results = medians({
        floor: lambda: rng.random((ROWS, K)),
        floor_out: lambda: rng.random(out=buf),
        "gumbel_max_sample": lambda: gumbel_max_sample(logits, rng),
        "argmax(logits + rng.gumbel(size))": lambda: np.argmax(logits + rng.gumbel(size=(ROWS, K)), -1),
    })
    report(f"Gumbel-max, {ROWS} x {K} float64, median of {REPEAT} (floor: the uniforms alone):", results,
           "gumbel_max_sample", [floor, floor_out], TARGET_MAX)
    torch = torch_cases(logits)
    results = medians({"gumbel_softmax_sample": lambda: gumbel_softmax_sample(logits, TAU, rng), **torch})
    report(f"Gumbel-softmax, {ROWS} x {K} float64, tau = {TAU}, median of {REPEAT}:", results,
           "gumbel_softmax_sample", list(torch), TARGET_SOFTMAX)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simd", choices=["both", "native"], default="both",
                        help="both: also run with AVX-512 switched off, if the CPU has it")
    args = parser.parse_args(argv)
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores; above 1 the wall-clock figures are inflated)")
    run_here()
    features = avx512_features()
    if args.simd == "both" and features:
        print("\n--- again with AVX-512 switched off (as on an AVX2-only CPU) ---", flush=True)
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(features), "ATEN_CPU_CAPABILITY": "avx2"}
        return subprocess.run([sys.executable, __file__, "--simd", "native"], env=env).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
