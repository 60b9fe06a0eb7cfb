"""Artifacts: directories that describe themselves with a manifest.json.

Each stage writes its output into a fresh staging directory, then `ArtifactStore.commit`
hashes every file, writes the manifest and moves the directory into place atomically. The
artifact id is derived from the kind, the config and the input ids, so a stage asked to redo
work it already did finds the finished artifact and returns it (`ArtifactStore.existing`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forge import __version__
from forge.errors import InputError, IntegrityError, NotFound

MANIFEST = "manifest.json"
# An artifact id is KIND-SUFFIX: the kind names a folder of the store, the suffix (16 hex digits
# from `artifact_id`) the artifact in it. Nothing else may become a path: no '/', no '..'.
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
ID_PATTERN = re.compile(r"(?P<kind>[a-z][a-z0-9_]{0,63})-(?P<suffix>[A-Za-z0-9_]{1,64})")


def check_artifact_id(aid: str, kind: str | None = None) -> str:
    """`aid` if it is a well-formed artifact id (of `kind`, when given); else InputError.
    Every store lookup goes through this, so an id can never name a folder outside the store."""
    m = ID_PATTERN.fullmatch(aid) if isinstance(aid, str) else None
    if m is None:
        shown = aid if isinstance(aid, str) and len(aid) <= 80 else f"{str(aid)[:80]}…"
        raise InputError(
            f"{shown!r} is not an artifact id",
            hint="artifact ids look like dataset-0123456789abcdef (`forge artifact list`)",
        )
    if kind is not None and m["kind"] != kind:
        raise InputError(f"{aid} is a {m['kind']} artifact id, not a {kind}")
    return aid


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise InputError(f"{kind!r} is not an artifact kind")
    return kind


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def artifact_id(kind: str, config: dict[str, Any], input_ids: list[str]) -> str:
    """Same kind + config + inputs → same id: the basis of cheap, safe re-runs."""
    digest = hashlib.sha256(canonical_json([kind, config, sorted(input_ids), __version__]).encode())
    return f"{kind}-{digest.hexdigest()[:16]}"


def hash_tree(root: Path) -> dict[str, str]:
    """SHA-256 of every file under root (manifest excluded), keyed by relative posix path."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel != MANIFEST:
            out[rel] = sha256_file(p)
    return out


@dataclass
class Artifact:
    kind: str
    id: str
    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.manifest.get("config", {})
        return config

    @property
    def digest(self) -> str:
        """One SHA-256 for the whole artifact: the hash of its sorted file hashes."""
        return hashlib.sha256(canonical_json(self.manifest.get("files", {})).encode()).hexdigest()

    def file(self, name: str) -> Path:
        return self.path / name

    def verify(self) -> None:
        """Re-hash every file and compare with the manifest; raise IntegrityError on any change."""
        expected: dict[str, str] = self.manifest.get("files", {})
        actual = hash_tree(self.path)
        problems = []
        for name, digest in expected.items():
            if name not in actual:
                problems.append(f"{name}: missing")
            elif actual[name] != digest:
                problems.append(f"{name}: sha256 {actual[name][:12]}… != manifest {digest[:12]}…")
        for name in actual.keys() - expected.keys():
            problems.append(f"{name}: not in manifest")
        if problems:
            raise IntegrityError(
                f"artifact {self.id} at {self.path} failed verification:\n  " + "\n  ".join(problems),
                hint="the artifact was changed after it was written; re-run the stage",
            )

    @classmethod
    def load(cls, path: Path) -> Artifact:
        mpath = Path(path) / MANIFEST
        if not mpath.is_file():
            raise NotFound(f"{path} is not an artifact (no {MANIFEST})")
        manifest = json.loads(mpath.read_text())
        return cls(kind=manifest["kind"], id=manifest["id"], path=Path(path), manifest=manifest)


class ArtifactStore:
    """Artifacts under <home>/artifacts/<kind>/<id>/, staged under <home>/artifacts/.staging/."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, kind: str, aid: str) -> Path:
        return self.root / check_kind(kind) / check_artifact_id(aid, kind)

    def existing(self, kind: str, aid: str) -> Artifact | None:
        path = self.path_for(kind, aid)
        if (path / MANIFEST).is_file():
            return Artifact.load(path)
        return None

    def get(self, aid: str) -> Artifact:
        kind = check_artifact_id(aid).rsplit("-", 1)[0]
        art = self.existing(kind, aid)
        if art is None:
            raise NotFound(f"no artifact {aid} under {self.root}")
        return art

    def all(self) -> Iterator[Artifact]:
        for mpath in sorted(self.root.glob(f"*/*/{MANIFEST}")):
            if not mpath.parent.parent.name.startswith("."):
                yield Artifact.load(mpath.parent)

    def staging(self, kind: str) -> Path:
        path = self.root / ".staging" / f"{kind}-{uuid.uuid4().hex[:12]}"
        path.mkdir(parents=True)
        return path

    @contextmanager
    def staged(self, kind: str) -> Iterator[Path]:
        """A fresh staging directory that is removed if the block raises (or is interrupted),
        so failed or cancelled work leaves nothing behind. Commit it inside the block."""
        staging = self.staging(kind)
        try:
            yield staging
        except BaseException:
            self.discard(staging)
            raise

    def discard(self, staging: Path) -> None:
        """Remove a stage's partial output (failed or cancelled work leaves nothing behind)."""
        shutil.rmtree(staging, ignore_errors=True)

    def commit(
        self,
        staging: Path,
        *,
        kind: str,
        aid: str,
        config: dict[str, Any],
        inputs: list[Artifact],
        extra: dict[str, Any] | None = None,
    ) -> Artifact:
        manifest = {
            "kind": kind,
            "id": aid,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": config,
            "inputs": [{"id": a.id, "kind": a.kind, "sha256": a.digest} for a in inputs],
            "files": hash_tree(staging),
            "code_version": code_version(),
            **(extra or {}),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        dest = self.path_for(kind, aid)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():  # a concurrent run finished the same work first; keep theirs
            shutil.rmtree(staging, ignore_errors=True)
            return Artifact.load(dest)
        os.replace(staging, dest)
        return Artifact.load(dest)


def code_version() -> str:
    """Package version plus the git commit when running from a checkout."""
    head = Path(__file__).resolve().parents[2] / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_path = head.parent / ref[5:]
            ref = ref_path.read_text().strip() if ref_path.exists() else ""
        return f"{__version__}+g{ref[:12]}" if ref else __version__
    except OSError:
        return __version__
