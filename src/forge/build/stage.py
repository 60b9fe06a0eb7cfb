"""The build stage: a corpus artifact in, a dataset artifact out.

Dataset files: sft_train.jsonl, sft_eval.jsonl, dpo_train.jsonl, dpo_eval.jsonl (one row per
line, see sft.py and dpo.py for the row shapes) and stats.json.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore, artifact_id
from forge.build.builder import BuiltDataset, build_rows
from forge.build.config import BuildConfig
from forge.build.empty import no_dpo_pairs, no_sft_rows
from forge.build.fingerprint import parallel_fingerprints
from forge.build.split import EVAL, TRAIN
from forge.build.stats import TokenCounter
from forge.errors import ForgeError, InputError
from forge.jsonl import read_jsonl
from forge.progress import NULL_PROGRESS, Progress
from forge.records import Conversation, WorkItem

KIND = "dataset"
CONVERSATIONS, WORK_ITEMS = "conversations.jsonl", "work_items.jsonl"
DATASET_FILES = ("sft_train.jsonl", "sft_eval.jsonl", "dpo_train.jsonl", "dpo_eval.jsonl", "stats.json")


def read_conversations(path: Path) -> Iterator[Conversation]:
    for line_no, obj in read_jsonl(path):
        yield _conversation(obj, path, line_no)


def _conversation(obj: dict[str, Any], path: Path, line_no: int) -> Conversation:
    try:
        return Conversation.from_dict(obj)
    except (KeyError, TypeError) as e:
        raise InputError(f"not a conversation record ({e!r})", path=str(path), line=line_no) from e


class CorpusFile:
    """The corpus's conversations read once in order with their byte offsets, and read again
    one at a time by offset (the build's second pass), so the file is never held in memory."""

    def __init__(self, path: Path):
        self.path = path
        self._f = open(path, "rb")  # noqa: SIM115 -- held for load(), closed by close()

    def __iter__(self) -> Iterator[tuple[tuple[int, int], Conversation]]:
        offsets = self._offsets()
        for line_no, obj in read_jsonl(self.path):  # the strict reader: names file and line
            offset = next(offsets)
            while offset[1] != line_no:
                offset = next(offsets)
            yield offset, _conversation(obj, self.path, line_no)

    def _offsets(self) -> Iterator[tuple[int, int]]:
        with open(self.path, "rb") as f:
            pos = 0
            for line_no, raw in enumerate(f, 1):
                yield pos, line_no
                pos += len(raw)

    def load(self, handle: tuple[int, int]) -> Conversation:
        offset, line_no = handle
        self._f.seek(offset)
        return _conversation(json.loads(self._f.readline()), self.path, line_no)

    def close(self) -> None:
        self._f.close()


class DatasetFiles:
    """Rows written to sft_{train,eval}.jsonl and dpo_{train,eval}.jsonl as they are made."""

    def __init__(self, out: Path):
        self.files = {
            (family, split): open(out / f"{family}_{split}.jsonl", "w", encoding="utf-8")  # noqa: SIM115 -- closed by close()
            for family in ("sft", "dpo")
            for split in (TRAIN, EVAL)
        }

    def add_sft(self, split: str, row: dict[str, Any]) -> None:
        self.files[("sft", split)].write(json.dumps(row, ensure_ascii=False) + "\n")

    def add_dpo(self, split: str, row: dict[str, Any]) -> None:
        self.files[("dpo", split)].write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def read_work_items(path: Path) -> dict[str, WorkItem]:
    """Beads by id. Only the fields the build uses matter; other keys are ignored."""
    if not path.is_file():
        return {}
    known = {f.name for f in dataclasses.fields(WorkItem)}
    items = {}
    for line_no, obj in read_jsonl(path):
        if not isinstance(obj.get("id"), str):
            raise InputError("work item has no string 'id'", path=str(path), line=line_no)
        fields = {k: v for k, v in obj.items() if k in known}
        item = WorkItem(**{"title": "", "status": "", **fields})
        items[item.id] = item
    return items


def corpus_summary(corpus: Artifact) -> dict[str, Any]:
    """The corpus's ingest counts and scrub report (no warnings list: counts only), so that a
    dataset shows where it came from and what was scrubbed without its corpus at hand."""
    path = corpus.file("report.json")
    if not path.is_file():
        return {"id": corpus.id}
    report = json.loads(path.read_text(encoding="utf-8"))
    ingest = {k: v for k, v in (report.get("ingest") or {}).items() if k != "warnings"}
    return {"id": corpus.id, "ingest": ingest, "scrub": report.get("scrub") or {}}


def write_dataset(built: BuiltDataset, out: Path) -> None:
    for family, rows_by_split in (("sft", built.sft), ("dpo", built.dpo)):
        for split in (TRAIN, EVAL):
            with open(out / f"{family}_{split}.jsonl", "w", encoding="utf-8") as f:
                for row in rows_by_split[split]:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "stats.json").write_text(json.dumps(built.stats, indent=2, sort_keys=True))


def _config_dict(config: BuildConfig, tokenizer: TokenCounter | None) -> dict[str, Any]:
    cfg = dataclasses.asdict(config)
    cfg.pop("workers")  # how many processes did the work does not change the dataset
    if tokenizer is not None:  # token stats change stats.json, so they change the artifact
        cfg["tokenizer"] = tokenizer.name
    return cfg


def dataset_id(corpus: Artifact, config: BuildConfig, tokenizer: TokenCounter | None = None) -> str:
    return artifact_id(KIND, _config_dict(config, tokenizer), [corpus.id])


def required_families(method: str | None) -> tuple[str, ...]:
    """The row families a training method needs: "sft" -> SFT rows, "dpo" -> DPO pairs,
    "sft+dpo" -> both; None or "" -> none (build only)."""
    if not method:
        return ()
    return tuple(part for part in method.split("+") if part in ("sft", "dpo"))


def check_rows(stats: dict[str, Any], need: tuple[str, ...]) -> None:
    """Raise a ForgeError naming why in numbers when a needed family of rows is empty."""
    if "sft" in need and not (stats["sft"][TRAIN] + stats["sft"][EVAL]):
        message, hint = no_sft_rows(stats)
        raise ForgeError(message, hint=hint)
    if "dpo" in need and not (stats["dpo"][TRAIN] + stats["dpo"][EVAL]):
        message, hint = no_dpo_pairs(stats)
        raise ForgeError(message, hint=hint)


def run_build(
    store: ArtifactStore,
    corpus: Artifact,
    config: BuildConfig,
    progress: Progress = NULL_PROGRESS,
    tokenizer: TokenCounter | None = None,
    require: str | None = None,
) -> Artifact:
    """Build SFT and DPO datasets from a corpus; return the existing dataset if already built.

    `require` names the training method the dataset is for ("sft", "dpo", "sft+dpo"; None: no
    requirement): when a family of rows it needs comes out empty, the build raises a
    ForgeError saying why in numbers and what to change, and stores nothing."""
    if corpus.kind != "corpus":
        raise InputError(f"artifact {corpus.id} is a {corpus.kind}, the build needs a corpus")
    aid = dataset_id(corpus, config, tokenizer)
    need = required_families(require)
    if (done := store.existing(KIND, aid)) is not None:
        check_rows(json.loads(done.file("stats.json").read_text()), need)
        return done
    corpus.verify()
    conv_path = corpus.file(CONVERSATIONS)
    if not conv_path.is_file():
        raise InputError(f"corpus {corpus.id} has no {CONVERSATIONS}", path=str(corpus.path))
    with store.staged(KIND) as staging:
        fingerprints = (
            parallel_fingerprints(conv_path, config.shingle_words, config.minhash_permutations, config.workers)
            if config.dedupe
            else None
        )
        source, sink = CorpusFile(conv_path), DatasetFiles(staging)
        try:
            stats = build_rows(
                source,
                source.load,
                config,
                sink,
                work_items=read_work_items(corpus.file(WORK_ITEMS)),
                tokenizer=tokenizer,
                progress=progress,
                fingerprints=fingerprints,
            )
        finally:
            source.close()
            sink.close()
            if fingerprints is not None:
                fingerprints.close()  # stops the pool
        stats["corpus"] = corpus_summary(corpus)
        check_rows(stats, need)  # before commit: an empty dataset is not stored
        (staging / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True))
        summary = {
            "sft_train": stats["sft"][TRAIN],
            "sft_eval": stats["sft"][EVAL],
            "dpo_train": stats["dpo"][TRAIN],
            "dpo_eval": stats["dpo"][EVAL],
        }
        return store.commit(
            staging,
            kind=KIND,
            aid=aid,
            config=_config_dict(config, tokenizer),
            inputs=[corpus],
            extra={"summary": summary},
        )
