"""Build a tiny, meaningless but *real* Vosk model, so that tests and benchmarks run the true Vosk code path.

No Vosk Chinese model can be shipped or downloaded in CI, yet the plumbing (loading, streaming, partial results,
endpointing, runtime grammars, word times) must be tested against the real library. This module writes a model of a
few kilobytes that Vosk loads like any other:

* ``am/final.mdl`` — a text Kaldi ``TransitionModel`` (one 1-state HMM per phone) followed by a text nnet3 network
  ``13 MFCCs → FixedAffineComponent → LogSoftmaxComponent``. Phone 1 is silence; the network scores silence against
  speech by the frame's energy (MFCC c0), so Vosk's endpointing reacts to real pauses; the speech phones differ a little
  by spectral tilt (c1, c2), so different audio gives different (meaningless) words.
* ``graph/`` — either a static ``HCLG.fst`` (like the big server models: runtime grammars are ignored) or a lookahead
  pair ``HCLr.fst`` + ``Gr.fst`` + ``disambig_tid.int`` (like ``vosk-model-small-cn``: runtime grammars work). The graph
  is one loop state with an optional silence phone and one phone chain per word; the FSTs are written by
  ``speech.fst`` directly, without the OpenFst tools.
* ``conf/mfcc.conf`` (16 kHz, dither 0 for deterministic output) and ``conf/model.conf`` (beams, endpoint rules,
  ``--determinize-max-delay`` for prompt word-level partials).

The words are deliberately hotline-flavoured so that phrase lists and grammars can name them, but what the model
"hears" has nothing to do with what was said. Tests therefore assert behaviour, never words.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from speech.fst import Fst, const_fst_bytes, olabel_lookahead_fst_bytes, write_bytes

GraphKind = Literal["static", "lookahead"]

DEFAULT_WORDS: tuple[str, ...] = (
    "井盖", "路灯", "垃圾", "噪音", "停水", "漏水", "桂城", "街道", "千灯湖", "南海大道", "海五路", "施工",
    "幺", "三", "八", "号", "你好", "我要", "反映", "投诉",
)
"""The tiny model's vocabulary (its "lexicon"); any Chinese words would do."""

SILENCE_PHONE = 1
NUM_SPEECH_PHONES = 4
NUM_PHONES = 1 + NUM_SPEECH_PHONES
MFCC_DIM = 13
ENERGY_THRESHOLD = 57.5
"""MFCC c0 above which a frame counts as speech (c0 ≈ √23 × mean log mel energy; 57.5 ≈ mean log energy 12)."""
ENERGY_SLOPE = 0.15
WORD_COST = 4.0
"""Graph cost of starting a word (-log p): a word insertion penalty that keeps the word count plausible."""

MFCC_CONF = """--sample-frequency=16000
--use-energy=false
--dither=0.0
--num-ceps=13
--num-mel-bins=23
--low-freq=20
--high-freq=-400
"""

MODEL_CONF = """--min-active=200
--max-active=3000
--beam=10.0
--lattice-beam=2.0
--acoustic-scale=1.0
--frame-subsampling-factor=3
--endpoint.silence-phones=1
--endpoint.rule2.min-trailing-silence=0.5
--endpoint.rule3.min-trailing-silence=1.0
--endpoint.rule4.min-trailing-silence=2.0
--determinize-max-delay=15
--determinize-min-chunk-size=5
"""

SAMPLE_RATE = 16000


def _self_loop_tid(phone: int) -> int:
    """Transition-id of a phone's self-loop (transition state ``phone``, index 0)."""
    return 2 * phone - 1


def _forward_tid(phone: int) -> int:
    """Transition-id of a phone's exit transition (transition state ``phone``, index 1)."""
    return 2 * phone


def word_phones(word: str) -> list[int]:
    """A deterministic pseudo-pronunciation: 2–3 speech phones chosen from a hash of the word."""
    digest = hashlib.sha256(word.encode("utf-8")).digest()
    length = 2 + digest[0] % 2
    return [2 + digest[i + 1] % NUM_SPEECH_PHONES for i in range(length)]


def _kaldi_vector(values: Sequence[float]) -> str:
    return "[ " + " ".join(f"{v:.6g}" for v in values) + " ]"


def transition_model_text() -> str:
    """A text Kaldi TransitionModel: every phone has one emitting state (0.5 self-loop, 0.5 exit), pdf = phone - 1."""
    phones = " ".join(str(p) for p in range(1, NUM_PHONES + 1))
    triples = "\n".join(f"{p} 0 {p - 1}" for p in range(1, NUM_PHONES + 1))
    log_probs = [0.0] + [math.log(0.5)] * (2 * NUM_PHONES)
    return (
        "<TransitionModel>\n<Topology>\n<TopologyEntry>\n<ForPhones>\n"
        f"{phones}\n</ForPhones>\n"
        "<State> 0 <PdfClass> 0 <Transition> 0 0.5 <Transition> 1 0.5 </State>\n"
        "<State> 1 </State>\n</TopologyEntry>\n</Topology>\n"
        f"<Triples> {NUM_PHONES}\n{triples}\n</Triples>\n"
        f"<LogProbs>\n{_kaldi_vector(log_probs)}\n</LogProbs>\n</TransitionModel>\n"
    )


def acoustic_weights() -> tuple[list[list[float]], list[float]]:
    """Rows of the affine layer (one per pdf) and its bias: silence vs speech by c0, speech phones by c1/c2."""
    rows: list[list[float]] = []
    bias: list[float] = []
    silence = [0.0] * MFCC_DIM
    silence[0] = -ENERGY_SLOPE
    rows.append(silence)
    bias.append(ENERGY_SLOPE * ENERGY_THRESHOLD)
    for index in range(NUM_SPEECH_PHONES):
        row = [0.0] * MFCC_DIM
        row[0] = ENERGY_SLOPE
        row[1 + index // 2] = 0.05 if index % 2 == 0 else -0.05
        rows.append(row)
        bias.append(-ENERGY_SLOPE * ENERGY_THRESHOLD)
    return rows, bias


def nnet3_text() -> str:
    """A text nnet3 acoustic model (AmNnetSimple) with no context and no priors."""
    rows, bias = acoustic_weights()
    matrix = "[\n" + "\n".join("  " + " ".join(f"{v:.6g}" for v in row) for row in rows) + " ]"
    return (
        "<Nnet3> \n"
        f"input-node name=input dim={MFCC_DIM}\n"
        "component-node name=affine component=affine input=input\n"
        "component-node name=log-softmax component=log-softmax input=affine\n"
        "output-node name=output input=log-softmax objective=linear\n\n"
        "<NumComponents> 2\n"
        f"<ComponentName> affine <FixedAffineComponent> <LinearParams> {matrix}\n"
        f"<BiasParams> {_kaldi_vector(bias)}\n</FixedAffineComponent>\n"
        f"<ComponentName> log-softmax <LogSoftmaxComponent> <Dim> {NUM_PHONES} <ValueAvg> [ ] <DerivAvg> [ ] "
        "<Count> 0 <NumDimsSelfRepaired> 0 <NumDimsProcessed> 0 </LogSoftmaxComponent>\n"
        "</Nnet3>\n"
        "<LeftContext> 0 <RightContext> 0 <Priors> [ ]\n"
    )


def _phone_chain(fst: Fst, src: int, dst: int, phones: Sequence[int], olabel: int, cost: float) -> None:
    """Add states and arcs for one phone sequence from ``src`` back to ``dst``, with ``olabel`` on the first arc."""
    state = src
    for position, phone in enumerate(phones):
        nxt = fst.add_state()
        label = olabel if position == 0 else 0
        fst.add_arc(state, _forward_tid(phone), label, cost if position == 0 else 0.0, nxt)
        fst.add_arc(nxt, _self_loop_tid(phone), 0, 0.0, nxt)
        state = nxt
    fst.add_arc(state, 0, 0, 0.0, dst)


def build_graph(words: Sequence[str], word_cost: float) -> Fst:
    """The decoding graph: a loop over optional silence and every word (word ids 1..N in ``words`` order)."""
    fst = Fst()
    loop = fst.add_state()
    fst.start = loop
    fst.set_final(loop, 0.0)
    _phone_chain(fst, loop, loop, [SILENCE_PHONE], 0, 0.5)
    for word_id, word in enumerate(words, start=1):
        _phone_chain(fst, loop, loop, word_phones(word), word_id, word_cost)
    return fst


def words_table(words: Sequence[str]) -> str:
    """``words.txt``: ``<eps>`` 0, the words 1..N; N+1 is kept free for the lookahead "final" label."""
    lines = ["<eps> 0"] + [f"{word} {i}" for i, word in enumerate(words, start=1)]
    lines.append(f"#0 {len(words) + 2}")
    return "\n".join(lines) + "\n"


def build_tiny_model(dest: Path, kind: GraphKind = "lookahead", words: Sequence[str] = DEFAULT_WORDS) -> Path:
    """Write a tiny Vosk model into ``dest`` (created) and return ``dest``.

    ``kind="static"`` writes ``graph/HCLG.fst`` (runtime grammars ignored, like big server models);
    ``kind="lookahead"`` writes ``graph/HCLr.fst`` + ``graph/Gr.fst`` (runtime grammars work, like small models).
    """
    words = list(dict.fromkeys(w for w in words if w and " " not in w))
    if not words:
        raise ValueError("a tiny model needs at least one word")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "am").mkdir(exist_ok=True)
    (dest / "conf").mkdir(exist_ok=True)
    (dest / "graph").mkdir(exist_ok=True)
    (dest / "am" / "final.mdl").write_text(transition_model_text() + nnet3_text(), encoding="utf-8")
    (dest / "conf" / "mfcc.conf").write_text(MFCC_CONF, encoding="utf-8")
    (dest / "conf" / "model.conf").write_text(MODEL_CONF, encoding="utf-8")
    (dest / "graph" / "words.txt").write_text(words_table(words), encoding="utf-8")
    (dest / "README").write_text(
        "Tiny generated Vosk model for tests (speech.tiny_model). Its words are meaningless.\n", encoding="utf-8"
    )
    graph_dir = dest / "graph"
    for stale in ("HCLG.fst", "HCLr.fst", "Gr.fst", "disambig_tid.int"):
        (graph_dir / stale).unlink(missing_ok=True)
    if kind == "static":
        hclg = build_graph(words, WORD_COST + math.log(len(words)))
        write_bytes(graph_dir / "HCLG.fst", const_fst_bytes(hclg, hclg.sort_arcs("ilabel")))
    elif kind == "lookahead":
        hcl = build_graph(words, 0.0)
        final_label = len(words) + 1
        everything = [(1, final_label + 1)]  # every state can reach every word and the final state
        write_bytes(
            graph_dir / "HCLr.fst",
            olabel_lookahead_fst_bytes(hcl, final_label, [everything] * hcl.num_states),
        )
        grammar = Fst()
        loop = grammar.add_state()
        grammar.set_final(loop, 0.0)
        for word_id in range(1, len(words) + 1):
            grammar.add_arc(loop, word_id, word_id, WORD_COST + math.log(len(words)), loop)
        write_bytes(graph_dir / "Gr.fst", const_fst_bytes(grammar, grammar.sort_arcs("ilabel")))
        (graph_dir / "disambig_tid.int").write_text("", encoding="utf-8")
    else:
        raise ValueError(f"unknown graph kind {kind!r}")
    return dest
