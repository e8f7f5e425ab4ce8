"""Speed of the category backends: cold load, messages/s on one core (single calls), p50/p95 for one message.

Run: ``taskset -c 0 .venv/bin/python bench/category.py [--backend linear|keyword|transformer] [--model-dir DIR]
[--n 2000]``. Messages are this project's synthetic hotline sentences plus long written complaints (no ../shared).

``cold_start_s`` is the wall time of a fresh Python process that imports the backend, loads the taxonomy and the
model and classifies one message (interpreter start included): what a user waits for. ``load_s`` is the same
without the interpreter start, measured in this process.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parent.parent
EXTENSION = REPO / "cities" / "foshan-nanhai" / "taxonomy-extension.yaml"
COLD = (
    "import time; t=time.perf_counter()\n"
    "from pathlib import Path\n"
    "from nlu.taxonomy import load_taxonomy\n"
    "from nlu.category.backend import make_backend\n"
    "b = make_backend({backend!r}, load_taxonomy(Path({ext!r})), model_dir=Path({model!r}), threads=1)\n"
    "b.predict('海五路有个井盖丢了', top_k=3)\n"
)


def cold_start(backend: str, model_dir: str) -> float:
    """Wall time of a fresh interpreter doing load + one prediction."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", COLD.format(backend=backend, ext=str(EXTENSION), model=model_dir)],
                   cwd=REPO, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="linear")
    parser.add_argument("--model-dir", default=None)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    model_dir = args.model_dir or str(REPO / "models" / f"category-{args.backend}")

    from nlu.category.backend import make_backend
    from nlu.category.text import prepare
    from nlu.category.training.synth import synth_examples
    from nlu.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(EXTENSION)
    backend = make_backend(args.backend, taxonomy, model_dir=Path(model_dir), threads=1)
    backend.predict("海五路有个井盖丢了", top_k=3)
    load_s = time.perf_counter() - _T0

    short = [e.text for e in synth_examples(taxonomy, per_leaf=4, seed=7)]
    long = [t * 8 for t in short[:200]]  # ~150-300 characters, like a written 留言
    texts = (short + long) * (args.n // (len(short) + len(long)) + 1)
    texts = texts[: args.n]
    timings = []
    begin = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        backend.predict(prepare(text).text, top_k=3)
        timings.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - begin
    timings.sort()
    cold = cold_start(args.backend, model_dir)
    print(f"backend={args.backend} cold_start_s={cold:.3f} load_s={load_s:.3f} messages={len(texts)} "
          f"msgs_per_s={len(texts) / total:.0f} p50_ms={statistics.median(timings):.2f} "
          f"p95_ms={timings[int(0.95 * len(timings))]:.2f} mean_chars={sum(map(len, texts)) / len(texts):.0f}")


if __name__ == "__main__":
    main()
