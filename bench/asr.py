"""Speech benchmark: accuracy (CER) and speed (RTF, latency, concurrent streams) of the speech intake path.

Usage::

    # with a real Vosk model (e.g. vosk-model-small-cn-0.22 unpacked):
    HOTLINE_ASR_BENCH_MODEL=/path/to/vosk-model-small-cn-0.22 python bench/asr.py
    # without one: the tiny generated model, to measure the product's own overhead and concurrency
    python bench/asr.py [--streams 8] [--seconds 20]

Audio: ``$HOTLINE_SHARED_DIR/speech`` (default ``../shared/speech``): ``real/*/transcripts.tsv`` (8 AISHELL-style
clips) and ``synthetic/espeak-ng-cmn`` (10 hotline sentences). Without that folder, synthetic tones are used for the
speed figures and CER is skipped. Prints one figure per line.

CER is computed on Chinese characters and digits only (punctuation and spaces removed), before clean-up (Vosk's
words joined), after clean-up (ITN + correction), and with each biasing mode.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from speech import cleanup  # noqa: E402
from speech.audio import MODEL_RATE, decode, to_pcm16  # noqa: E402
from speech.recognizer import SpeechEngine, TextOptions, Utterance  # noqa: E402
from speech.tiny_model import build_tiny_model  # noqa: E402

SHARED = Path(os.environ.get("HOTLINE_SHARED_DIR", REPO.parent / "shared"))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def normalise_for_cer(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def load_sets() -> dict[str, list[tuple[Path, str]]]:
    """Evaluation sets: name → [(wav, reference)]."""
    sets: dict[str, list[tuple[Path, str]]] = {}
    for name, pattern in (("real", "real/*/transcripts.tsv"), ("synthetic", "synthetic/*/transcripts.tsv")):
        items: list[tuple[Path, str]] = []
        for tsv in sorted((SHARED / "speech").glob(pattern)):
            for line in tsv.read_text(encoding="utf-8").splitlines():
                if "\t" in line:
                    file, reference = line.split("\t", 1)
                    if (tsv.parent / file).is_file():
                        items.append((tsv.parent / file, reference.strip()))
        if items:
            sets[name] = items
    return sets


def run_stream(engine: SpeechEngine, pcm: bytes, bias: str, text: TextOptions, chunk: int = 3200) -> tuple[
    list[Utterance], float, float | None
]:
    """Feed ``pcm`` (16 kHz) in 100 ms chunks. Returns utterances, processing seconds, audio time of first partial."""
    stream = engine.stream(MODEL_RATE, bias, None, text)  # type: ignore[arg-type]
    first_partial: float | None = None
    start = time.perf_counter()
    for offset in range(0, len(pcm), chunk):
        events = stream.feed(pcm[offset : offset + chunk])
        if first_partial is None and any(e.type == "partial" for e in events):
            first_partial = (offset + chunk) / 2 / MODEL_RATE
    stream.finish()
    return stream.utterances, time.perf_counter() - start, first_partial


def speech_onset(samples: np.ndarray, threshold: float = 0.02) -> float:
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return float(loud[0]) / MODEL_RATE if len(loud) else 0.0


def accuracy(engine: SpeechEngine, sets: dict[str, list[tuple[Path, str]]]) -> None:
    modes = ["none", "correction"] + (["grammar"] if engine.supports_grammar else [])
    for name, items in sets.items():
        audio = [(decode(path), reference) for path, reference in items]
        seconds = sum(a.duration_s for a, _ in audio)
        for bias in modes:
            errors = {"raw": 0, "clean": 0}
            chars = 0
            cpu = 0.0
            latencies: list[float] = []
            for clip, reference in audio:
                utterances, spent, first = run_stream(
                    engine, to_pcm16(clip.samples), bias, TextOptions(itn=True, correction=bias != "none")
                )
                cpu += spent
                reference_n = normalise_for_cer(reference)
                raw = normalise_for_cer(cleanup.join_words(" ".join(u.raw for u in utterances)))
                clean = normalise_for_cer("".join(u.text for u in utterances))
                errors["raw"] += edit_distance(raw, reference_n)
                errors["clean"] += edit_distance(clean, reference_n)
                chars += len(reference_n)
                if first is not None:
                    latencies.append(first - speech_onset(clip.samples))
            print(f"{name} ({len(audio)} clips, {seconds:.1f} s) bias={bias}: CER raw {errors['raw'] / chars:.2%}, "
                  f"CER after clean-up {errors['clean'] / chars:.2%}, RTF {cpu / seconds:.3f}")
            if latencies:
                print(f"  first partial after speech onset (audio time, 100 ms chunks): median "
                      f"{statistics.median(latencies) * 1000:.0f} ms")


def bench_audio(seconds: float) -> np.ndarray:
    """Audio for speed figures: the espeak clips if present, else synthetic "speech"."""
    clips = sorted((SHARED / "speech" / "synthetic").glob("*/*.wav"))
    parts: list[np.ndarray] = []
    if clips:
        for clip in clips:
            parts += [decode(clip).samples, np.zeros(MODEL_RATE, dtype=np.float32)]
    else:
        rng = np.random.default_rng(0)
        t = np.arange(int(0.25 * MODEL_RATE)) / MODEL_RATE
        for _ in range(int(seconds * 2)):
            f0 = rng.uniform(110, 260)
            parts += [0.2 * np.sin(2 * np.pi * f0 * t).astype(np.float32), np.zeros(MODEL_RATE // 4, np.float32)]
    audio = np.concatenate(parts)
    repeat = int(np.ceil(seconds * MODEL_RATE / len(audio)))
    return np.tile(audio, repeat)[: int(seconds * MODEL_RATE)]


def overhead(engine: SpeechEngine, audio: np.ndarray, pipeline: object | None) -> None:
    pcm = to_pcm16(audio)
    seconds = len(audio) / MODEL_RATE
    for label, options in (("decode only (no clean-up)", TextOptions(itn=False, correction=False)),
                           ("with clean-up (ITN + correction)", TextOptions())):
        runs = [run_stream(engine, pcm, "none", options)[1] for _ in range(3)]
        print(f"stream {seconds:.0f} s, {label}: {min(runs) / seconds * 1000:.2f} ms CPU per audio second "
              f"(RTF {min(runs) / seconds:.4f})")
    utterances, _, _ = run_stream(engine, pcm, "none", TextOptions())
    if pipeline is not None and utterances:
        from speech.service import suggest

        text = ""
        start = time.perf_counter()
        for utterance in utterances:
            text += utterance.text
            suggest(pipeline, text)
        spent = time.perf_counter() - start
        print(f"analysis after each final: {len(utterances)} finals, {spent / len(utterances) * 1000:.1f} ms each, "
              f"{spent / seconds * 1000:.1f} ms per audio second")


def concurrency(engine: SpeechEngine, audio: np.ndarray, streams: int) -> None:
    pcm = to_pcm16(audio)
    seconds = len(audio) / MODEL_RATE
    for count in sorted({1, 2, streams}):
        threads = [threading.Thread(target=run_stream, args=(engine, pcm, "none", TextOptions())) for _ in range(count)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        print(f"{count} concurrent streams of {seconds:.0f} s: wall {wall:.2f} s, "
              f"{count * seconds / wall:.0f}x real time in total (streams sustainable in real time ≈ "
              f"{count * seconds / wall:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--no-pipeline", action="store_true", help="skip the analysis-pipeline timing")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; shared data: {SHARED if (SHARED / 'speech').is_dir() else 'absent'}")
    model_dir = os.environ.get("HOTLINE_ASR_BENCH_MODEL")
    with tempfile.TemporaryDirectory() as tmp:
        if model_dir:
            engine = SpeechEngine(Path(model_dir), _phrases())
            print(f"model: {model_dir} ({engine.info.graph} graph)")
            sets = load_sets()
            if sets:
                accuracy(engine, sets)
        else:
            engine = SpeechEngine(build_tiny_model(Path(tmp) / "tiny", "lookahead"), _phrases())
            print("model: tiny generated model (no real model given: HOTLINE_ASR_BENCH_MODEL unset); "
                  "figures are the product's own overhead, not recognition cost")
        pipeline = None
        if not args.no_pipeline:
            try:
                from hotline.pipeline import load_pipeline

                pipeline = load_pipeline()
            except Exception as exc:  # noqa: BLE001
                print(f"analysis pipeline unavailable: {exc}")
        audio = bench_audio(args.seconds)
        overhead(engine, audio, pipeline)
        concurrency(engine, audio, args.streams)


def _phrases() -> list[str]:
    from speech.biasing import city_phrases

    return city_phrases()


if __name__ == "__main__":
    main()
