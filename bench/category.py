"""Speed of the category backends: load time, messages/s on one core (batch of single calls), p95 for one message.

Run: ``taskset -c 0 .venv/bin/python bench/category.py [--backend linear|keyword] [--n 2000]``
Messages are this project's synthetic hotline sentences plus long written complaints (no ../shared needed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from nlu.category.backend import make_backend  # noqa: E402
from nlu.category.text import prepare  # noqa: E402
from nlu.category.training.synth import synth_examples  # noqa: E402
from nlu.taxonomy import load_taxonomy  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="linear")
    parser.add_argument("--model-dir", default=str(REPO / "models" / "category-linear"))
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()

    start = time.perf_counter()
    if args.backend == "linear":
        import sklearn.feature_extraction.text  # noqa: F401  (counted apart: the library import, once per process)
        import sklearn.linear_model  # noqa: F401
    import_s = time.perf_counter() - start
    start = time.perf_counter()
    taxonomy = load_taxonomy(REPO / "cities" / "foshan-nanhai" / "taxonomy-extension.yaml")
    backend = make_backend(args.backend, taxonomy, model_dir=Path(args.model_dir))
    load_s = time.perf_counter() - start

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
    print(f"backend={args.backend} import_s={import_s:.3f} load_s={load_s:.3f} messages={len(texts)} "
          f"msgs_per_s={len(texts) / total:.0f} p50_ms={statistics.median(timings):.2f} "
          f"p95_ms={timings[int(0.95 * len(timings))]:.2f} mean_chars={sum(map(len, texts)) / len(texts):.0f}")


if __name__ == "__main__":
    main()
