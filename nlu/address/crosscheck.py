"""Cross-check ``hotline predict address`` against ``hotline eval address`` the way the reserved set is scored.

1. strip the tags from a tagged file (dev.txt by default) and write the tokens in an awkward but legal layout
   (CRLF line ends, a trailing space after every token);
2. run ``hotline predict address IN OUT`` as a separate process, exactly as a scorer would;
3. check OUT has the input's tokens in order and lower-case labels;
4. score OUT against the gold tags with a scorer written independently of ``nlu.address.metrics`` (conlleval's
   chunk rules: a chunk ends where the next tag is O, B-, or an I- of another label), and print it next to
   ``evaluate()``'s figure.

Run: ``.venv/bin/python -m nlu.address.crosscheck [--data FILE] [--model DIR]``. Needs the corpus (../shared).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path


def _gold(path: Path) -> list[list[tuple[str, str]]]:
    """(token, tag) per address, read with plain string operations (independent of ``nlu.address.corpus``)."""
    blocks, block = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            if block:
                blocks.append(block)
                block = []
            continue
        token, tag = line.rsplit(" ", 1)
        block.append((token, tag))
    if block:
        blocks.append(block)
    return blocks


def _chunks(tags: list[str]) -> set[tuple[str, int, int]]:
    """conlleval chunks of a tag sequence, labels lower-cased: {(label, start, end_exclusive)}."""
    chunks, start, label = set(), None, None
    for i, tag in enumerate([*tags, "O"]):
        kind, name = (tag[0], tag[2:].lower()) if tag != "O" else ("O", "")
        ends = label is not None and (kind in ("O", "B") or name != label)
        if ends:
            chunks.add((label, start, i))
            label = None
        if kind == "B" or (kind == "I" and label is None):
            start, label = i, name
    return chunks


def score(gold: list[list[str]], pred: list[list[str]]) -> tuple[float, float, float]:
    """Micro precision, recall, F1 over exact (label, span) chunks."""
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, pred, strict=True):
        gc, pc = _chunks(g), _chunks(p)
        tp += len(gc & pc)
        n_gold += len(gc)
        n_pred += len(pc)
    precision, recall = tp / max(n_pred, 1), tp / max(n_gold, 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)


def main(argv: list[str] | None = None) -> int:
    from hotline.settings import get_settings
    from nlu.address.model import AddressParser, load_default_parser
    from nlu.address.train import corpus_file, evaluate

    args_parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args_parser.add_argument("--data", type=Path, default=None)
    args_parser.add_argument("--model", type=Path, default=None)
    args = args_parser.parse_args(argv)
    data = args.data or corpus_file("dev")
    gold = _gold(data)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.txt", Path(tmp) / "out.txt"
        src.write_bytes("".join("".join(f"{tok} \r\n" for tok, _ in block) + "\r\n" for block in gold).encode())
        command = [sys.executable, "-m", "hotline", "predict", "address", str(src), str(dst)]
        if args.model:
            command += ["--model", str(args.model)]
        subprocess.run(command, check=True)
        predicted = _gold(dst)
    assert [[t for t, _ in b] for b in predicted] == [[t for t, _ in b] for b in gold], "tokens differ"
    bad = {tag for b in predicted for _, tag in b if tag != "O" and (tag[:2] not in ("B-", "I-") or
                                                                     tag != tag[:2] + tag[2:].lower())}
    assert not bad, f"tags not in the corpus's lower-case BIO form: {sorted(bad)[:5]}"
    p, r, f = score([[t for _, t in b] for b in gold], [[t for _, t in b] for b in predicted])
    parser = AddressParser(args.model) if args.model else load_default_parser(get_settings().models_dir)
    overall, _ = evaluate(parser, data)
    print(f"addresses {len(gold)}  tokens {sum(map(len, gold))}")
    print(f"independent score of predict output: P {p:.4f} R {r:.4f} F1 {f:.4f}")
    print(f"hotline eval address (evaluate()):   P {overall.precision:.4f} R {overall.recall:.4f} "
          f"F1 {overall.f1:.4f}")
    agree = abs(f - overall.f1) < 1e-9 and abs(p - overall.precision) < 1e-9
    print("agree" if agree else "DISAGREE")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
