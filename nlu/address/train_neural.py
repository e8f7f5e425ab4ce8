"""Train the BiLSTM member of the address parser with torch and export it for numpy inference (``bilstm.npz``).

Run: ``.venv/bin/python -m nlu.address.train_neural MODEL_DIR [--with-dev] [--epochs N] [--seeds 13,2,3]`` —
MODEL_DIR is the CRF's folder; one member per seed is written there and listed in its meta.json. Like the CRF, the
members learn from out-of-fold entity lexicons, so they do not over-trust a lexicon hit. Needs torch (the
``transformers`` extra); ``hotline models train-address`` calls this when torch is installed.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np

from nlu.address.corpus import read_tagged
from nlu.address.features import normalised_token
from nlu.address.model import equal_weight, update_meta
from nlu.address.neural import NEURAL_GLOB, UNK, Vocab, bigrams, dense_inputs, neural_file
from nlu.address.train import corpus_file, out_of_fold_lexicons

SEEDS = (13, 2, 3)
"""One member per seed; three were chosen before measuring (more members average away more of the seed noise)."""
DEFAULTS = {"token_dim": 64, "bigram_dim": 32, "hidden": 128, "dropout": 0.3, "epochs": 12, "batch": 32,
            "lr": 2e-3, "word_dropout": 0.05, "seed": 13}


def build_vocab(data: list[tuple[list[str], list[str]]]) -> Vocab:
    tokens: Counter = Counter()
    pairs: Counter = Counter()
    tags: set[str] = set()
    for toks, tg in data:
        norm = [normalised_token(t) for t in toks]
        tokens.update(norm)
        left, right = bigrams(norm)
        pairs.update(left)
        pairs.update(right[-1:])
        tags.update(tg)
    token_index = {t: i + 2 for i, t in enumerate(sorted(tokens))}
    bigram_index = {b: i + 2 for i, b in enumerate(sorted(b for b, n in pairs.items() if n >= 2))}
    return Vocab(token_index, bigram_index, sorted(tags))


def train_neural(data: list[tuple[list[str], list[str]]], out_file: Path, **overrides) -> dict:
    """Fit on ``data`` and write ``out_file`` (npz). Returns the settings and timing."""
    import torch
    from torch import nn

    cfg = {**DEFAULTS, **overrides}
    random.seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    vocab = build_vocab(data)
    tag_index = {t: i for i, t in enumerate(vocab.tags)}
    lexicons = out_of_fold_lexicons(data)
    encoded = []
    for (toks, tg), lexicon in zip(data, lexicons):
        tok, left, right = vocab.encode(toks)
        encoded.append((tok, left, right, dense_inputs(toks, lexicon), np.array([tag_index[t] for t in tg])))
    dense_dim = encoded[0][3].shape[1]

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb_token = nn.Embedding(len(vocab.tokens) + 2, cfg["token_dim"], padding_idx=0)
            self.emb_bigram = nn.Embedding(len(vocab.bigrams) + 2, cfg["bigram_dim"], padding_idx=0)
            self.drop = nn.Dropout(cfg["dropout"])
            self.lstm = nn.LSTM(cfg["token_dim"] + 2 * cfg["bigram_dim"] + dense_dim, cfg["hidden"],
                                batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * cfg["hidden"], len(vocab.tags))

        def forward(self, tok, left, right, dense, lengths):
            x = torch.cat([self.emb_token(tok), self.emb_bigram(left), self.emb_bigram(right), dense], dim=-1)
            packed = nn.utils.rnn.pack_padded_sequence(self.drop(x), lengths, batch_first=True,
                                                       enforce_sorted=False)
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True)
            return self.out(self.drop(h))

    model = Tagger()
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=cfg["epochs"])
    loss_fn = nn.CrossEntropyLoss(ignore_index=-1)
    start = time.perf_counter()
    for _ in range(cfg["epochs"]):
        model.train()
        order = list(range(len(encoded)))
        random.shuffle(order)
        for b in range(0, len(order), cfg["batch"]):
            batch = [encoded[i] for i in order[b: b + cfg["batch"]]]
            lengths = torch.tensor([len(x[0]) for x in batch])
            width = int(lengths.max())

            def pad(k: int, fill: int = 0, dtype=torch.long) -> torch.Tensor:
                out = torch.full((len(batch), width), fill, dtype=dtype)
                for r, x in enumerate(batch):
                    out[r, : len(x[k])] = torch.as_tensor(x[k], dtype=dtype)
                return out

            tok = pad(0)
            tok = torch.where((torch.rand(tok.shape) < cfg["word_dropout"]) & (tok > 0), UNK, tok)
            dense = torch.zeros((len(batch), width, dense_dim))
            for r, x in enumerate(batch):
                dense[r, : len(x[3])] = torch.as_tensor(x[3])
            logits = model(tok, pad(1), pad(2), dense, lengths)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), pad(4, -1).reshape(-1))
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
        schedule.step()
    seconds = round(time.perf_counter() - start, 1)
    lstm = model.lstm
    weights = {
        "emb_token": model.emb_token.weight, "emb_bigram": model.emb_bigram.weight,
        "lstm_w_ih": lstm.weight_ih_l0, "lstm_w_hh": lstm.weight_hh_l0, "lstm_b": lstm.bias_ih_l0 + lstm.bias_hh_l0,
        "lstm_w_ih_r": lstm.weight_ih_l0_reverse, "lstm_w_hh_r": lstm.weight_hh_l0_reverse,
        "lstm_b_r": lstm.bias_ih_l0_reverse + lstm.bias_hh_l0_reverse,
        "out_w": model.out.weight, "out_b": model.out.bias,
    }
    arrays = {k: v.detach().numpy().astype(np.float16 if k.startswith("emb") else np.float32)
              for k, v in weights.items()}
    np.savez_compressed(out_file, vocab=np.array(vocab.to_json()), **arrays)
    return {"settings": cfg, "train_addresses": len(data), "train_seconds": seconds}


def train_members(data: list[tuple[list[str], list[str]]], model_dir: Path, seeds: tuple[int, ...] = SEEDS,
                  source: str = "", **overrides) -> dict:
    """Train one member per seed into ``model_dir`` (replacing earlier members) and record them in its meta.json."""
    for old in model_dir.glob(NEURAL_GLOB):
        old.unlink()
    runs = [train_neural(data, model_dir / neural_file(seed), seed=seed, **overrides) for seed in seeds]
    info = {"members": [neural_file(seed) for seed in seeds], "weight": equal_weight(len(seeds)),
            "settings": {k: v for k, v in runs[0]["settings"].items() if k != "seed"},
            "train_addresses": len(data), "train_file": source,
            "train_seconds": [run["train_seconds"] for run in runs]}
    update_meta(model_dir, neural=info)
    return info


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("--with-dev", action="store_true", help="train on train.txt + dev.txt")
    ap.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    args = ap.parse_args(argv)
    data = read_tagged(corpus_file("train"))
    if args.with_dev:
        data += read_tagged(corpus_file("dev"))
    args.model_dir.mkdir(parents=True, exist_ok=True)
    seeds = tuple(int(x) for x in args.seeds.split(","))
    source = "train.txt + dev.txt" if args.with_dev else "train.txt"
    print(json.dumps(train_members(data, args.model_dir, seeds, source=source, epochs=args.epochs),
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
