"""Where the Vosk model lives, what a complete model folder contains, and installing a user-downloaded copy.

No Vosk model ships with the product (vosk-model-small-cn-0.22 is about 68 MB unpacked and must be downloaded by the
user from https://alphacephei.com/vosk/models). ``hotline models install-vosk PATH`` copies a downloaded folder or
zip into ``<models_dir>/vosk`` (or the folder named by ``HOTLINE_VOSK_MODEL``), checking it file by file:

* the files Vosk needs are all there (an incomplete folder gets an error naming the missing file), and
* for a known model, each file's size and sha256 equal the published values (``PUBLISHED`` below).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


VOSK_MODEL_ENV = "HOTLINE_VOSK_MODEL"
"""Environment variable naming the model folder (until ``Settings`` grows a ``vosk_model`` field)."""

MAX_ZIP_BYTES = 4 * 1024**3
"""Refuse to unpack archives that claim more than this many bytes (zip bombs)."""


class ModelError(Exception):
    """A problem with the Vosk model folder; ``str(exc)`` is a Chinese + English message for the user."""


class ModelNotInstalled(ModelError):
    """No model folder is installed where the product looks."""


@dataclass(frozen=True)
class PublishedFile:
    """Size and sha256 of one file of a published model, as its publisher distributes it."""

    path: str
    size: int
    sha256: str


PUBLISHED: dict[str, tuple[PublishedFile, ...]] = {
    # vosk-model-small-cn-0.22 (alphacephei.com). Facts from the Git LFS pointers of OpenVidu/openvidu-agents
    # (commit b1f5520e43f9ced5691f5ecf2c55602188a80920), recorded in ../shared/models/INDEX.md.
    "vosk-model-small-cn-0.22": (
        PublishedFile("am/final.mdl", 15901896, "91eda2c04c4f599361cb92b0e5298ccdf6b3c7a1fa52bfcefcd2c4e07aa1c131"),
        PublishedFile("graph/Gr.fst", 26082259, "46d41a9b1723abccdcb354d731a5b58d87c060100d88ada1a3e31220f52b0434"),
        PublishedFile("graph/HCLr.fst", 16158762, "798af0d9ba6f2d727747f58e1e7b2305f8618bc8ea7f6c51beecd8a2c965b965"),
        PublishedFile("ivector/final.ie", 9927287, "c39d46fbff04efb7baa9660ae7a728b0e2f35a4a1250b56ed3a599e26956df86"),
        PublishedFile("ivector/final.dubm", 168048, "e33276cbd548c0a03ae5812c98115940614997dff23a6d59968af6eaf7630ff8"),
        PublishedFile("ivector/final.mat", 44975, "42706d88818070ea0d0182b4d11367ba52a13b9a2be45630f60858a422109ada"),
    ),
}

REQUIRED_FILES: tuple[str, ...] = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/words.txt")
STATIC_GRAPH: tuple[str, ...] = ("graph/HCLG.fst",)
LOOKAHEAD_GRAPH: tuple[str, ...] = ("graph/HCLr.fst", "graph/Gr.fst", "graph/disambig_tid.int")
IVECTOR_FILES: tuple[str, ...] = (
    "ivector/final.ie", "ivector/final.dubm", "ivector/final.mat", "ivector/global_cmvn.stats",
    "ivector/online_cmvn.conf", "ivector/splice.conf",
)


@dataclass(frozen=True)
class ModelInfo:
    """A checked model folder."""

    path: Path
    graph: str
    """``static`` (HCLG.fst: runtime grammars ignored) or ``lookahead`` (HCLr.fst + Gr.fst: grammars work)."""
    name: str | None
    """The published name when the folder matched a known model, else None."""

    @property
    def supports_grammar(self) -> bool:
        return self.graph == "lookahead"


def default_model_dir() -> Path:
    """The model folder in use: ``settings.vosk_model`` (``$HOTLINE_VOSK_MODEL``) if set, else ``<models_dir>/vosk``.

    Read fresh from the environment each time, so a model installed or configured after start-up is found.
    """
    from hotline.settings import Settings

    settings = Settings()
    return settings.vosk_model.expanduser() if settings.vosk_model else settings.models_dir / "vosk"


def _missing(root: Path, names: Iterable[str]) -> list[str]:
    return [name for name in names if not (root / name).is_file()]


def check_model_dir(path: Path) -> ModelInfo:
    """Check that ``path`` holds a complete Vosk model (nothing is loaded); raise ``ModelError`` naming what is wrong."""
    if not path.exists():
        raise ModelNotInstalled(
            f"未安装语音识别模型：{path} 不存在。请下载 vosk-model-small-cn-0.22 后运行 "
            f"`hotline models install-vosk <目录或zip>`。 / No Vosk model installed: {path} does not exist. Download "
            f"vosk-model-small-cn-0.22 from https://alphacephei.com/vosk/models and run "
            f"`hotline models install-vosk <dir-or-zip>` (or set {VOSK_MODEL_ENV})."
        )
    if not path.is_dir():
        raise ModelError(f"模型路径不是目录：{path} / The model path is not a folder: {path}")
    missing = _missing(path, REQUIRED_FILES)
    if missing:
        raise ModelError(
            f"语音模型不完整，缺少文件：{missing[0]}（{path}） / Incomplete Vosk model: missing {missing[0]} in {path}"
            + (f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1 else "")
        )
    if (path / STATIC_GRAPH[0]).is_file():
        graph = "static"
    else:
        missing = _missing(path, LOOKAHEAD_GRAPH)
        if missing:
            raise ModelError(
                f"语音模型不完整，缺少解码图文件：{missing[0]}（需要 graph/HCLG.fst，或 graph/HCLr.fst + graph/Gr.fst + "
                f"graph/disambig_tid.int） / Incomplete Vosk model: missing {missing[0]} in {path} (a model needs "
                "graph/HCLG.fst, or graph/HCLr.fst + graph/Gr.fst + graph/disambig_tid.int)"
            )
        graph = "lookahead"
    if (path / "ivector" / "final.ie").is_file():
        missing = _missing(path, IVECTOR_FILES)
        if missing:
            raise ModelError(
                f"语音模型不完整，缺少 i-vector 文件：{missing[0]}（{path}） / Incomplete Vosk model: {path} has "
                f"ivector/final.ie but is missing {missing[0]}"
            )
    for name in REQUIRED_FILES:
        if (path / name).stat().st_size == 0:
            raise ModelError(f"语音模型文件为空：{name}（{path}） / Empty model file: {name} in {path}")
    return ModelInfo(path=path, graph=graph, name=_identify(path))


def _identify(path: Path) -> str | None:
    """The published model whose file sizes this folder matches (sizes only: cheap; hashes are checked at install)."""
    for name, files in PUBLISHED.items():
        if all((path / f.path).is_file() and (path / f.path).stat().st_size == f.size for f in files):
            return name
    return None


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_published(path: Path, name: str | None = None) -> str | None:
    """Compare sizes and sha256 with the published facts of ``name`` (or of the model the folder name says it is).

    Returns the model name verified, or None when the model is not one we have facts for. Raises ``ModelError`` on a
    mismatch, naming the file.
    """
    name = name or next((n for n in PUBLISHED if n in path.name), None) or _identify(path)
    if name is None:
        return None
    for fact in PUBLISHED[name]:
        target = path / fact.path
        if not target.is_file():
            raise ModelError(f"模型 {name} 缺少文件：{fact.path} / Model {name} is missing {fact.path}")
        size = target.stat().st_size
        if size != fact.size:
            raise ModelError(
                f"模型文件大小不符：{fact.path} 为 {size} 字节，应为 {fact.size} / Size mismatch for {fact.path}: "
                f"{size} bytes, published {fact.size} (download damaged?)"
            )
        if sha256_of(target) != fact.sha256:
            raise ModelError(
                f"模型文件校验失败：{fact.path} 的 sha256 不符 / sha256 mismatch for {fact.path} (download damaged?)"
            )
    return name


def _model_root(folder: Path) -> Path:
    """The folder holding ``am/final.mdl``: ``folder`` itself or its single sub-folder (zips wrap the model)."""
    if (folder / "am").is_dir() or (folder / "conf").is_dir():
        return folder
    children = [c for c in folder.iterdir() if c.is_dir() and not c.name.startswith((".", "__MACOSX"))]
    if len(children) == 1:
        return _model_root(children[0])
    return folder


def _safe_extract(archive: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            if sum(info.file_size for info in zf.infolist()) > MAX_ZIP_BYTES:
                raise ModelError(f"压缩包过大：{archive} / Archive too large: {archive}")
            root = dest.resolve()
            for info in zf.infolist():
                target = (dest / info.filename).resolve()
                if not target.is_relative_to(root):
                    raise ModelError(f"压缩包含非法路径：{info.filename} / Unsafe path in archive: {info.filename}")
            zf.extractall(dest)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"不是有效的 zip 文件：{archive} / Not a valid zip file: {archive}") from exc


def install_model(source: Path, target: Path | None = None, force: bool = True) -> ModelInfo:
    """Install a downloaded model (folder or ``.zip``) into ``target`` (default: ``default_model_dir()``).

    The copy is checked (complete, and published sizes/sha256 where known) before it replaces the installed model.
    """
    target = target or default_model_dir()
    if not source.exists():
        raise ModelError(f"找不到模型文件：{source} / No such file or folder: {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".vosk-install-") as tmp:
        staging = Path(tmp) / "unpacked"
        if source.is_dir():
            root = _model_root(source)
        else:
            staging.mkdir()
            _safe_extract(source, staging)
            root = _model_root(staging)
        check_model_dir(root)
        name = verify_published(root, next((n for n in PUBLISHED if n in source.name), None))
        copy = Path(tmp) / "model"
        shutil.copytree(root, copy)
        if target.exists():
            if not force:
                raise ModelError(f"目标已存在：{target} / Target exists: {target}")
            shutil.rmtree(target)
        copy.rename(target)
    info = check_model_dir(target)
    return ModelInfo(path=info.path, graph=info.graph, name=name or info.name)
