"""The build stage: a corpus artifact in, a dataset artifact out.

Dataset files: sft_train.jsonl, sft_eval.jsonl, dpo_train.jsonl, dpo_eval.jsonl (one row per
line, see sft.py and dpo.py for the row shapes) and stats.json.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Iterator

from forge.artifacts import Artifact, ArtifactStore, artifact_id
from forge.build.builder import BuiltDataset, build_dataset
from forge.build.config import BuildConfig
from forge.build.split import EVAL, TRAIN
from forge.build.stats import TokenCounter
from forge.jsonl import read_jsonl
from forge.errors import InputError
from forge.progress import NULL_PROGRESS, Progress
from forge.records import Conversation, WorkItem

KIND = "dataset"
CONVERSATIONS, WORK_ITEMS = "conversations.jsonl", "work_items.jsonl"
DATASET_FILES = ("sft_train.jsonl", "sft_eval.jsonl", "dpo_train.jsonl", "dpo_eval.jsonl",
                 "stats.json")


def read_conversations(path: Path) -> Iterator[Conversation]:
    for line_no, obj in read_jsonl(path):
        try:
            yield Conversation.from_dict(obj)
        except (KeyError, TypeError) as e:
            raise InputError(f"not a conversation record ({e!r})", path=str(path),
                             line=line_no) from e


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


def write_dataset(built: BuiltDataset, out: Path) -> None:
    for family, rows_by_split in (("sft", built.sft), ("dpo", built.dpo)):
        for split in (TRAIN, EVAL):
            with open(out / f"{family}_{split}.jsonl", "w", encoding="utf-8") as f:
                for row in rows_by_split[split]:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "stats.json").write_text(json.dumps(built.stats, indent=2, sort_keys=True))


def _config_dict(config: BuildConfig, tokenizer: TokenCounter | None) -> dict[str, Any]:
    cfg = dataclasses.asdict(config)
    if tokenizer is not None:  # token stats change stats.json, so they change the artifact
        cfg["tokenizer"] = tokenizer.name
    return cfg


def dataset_id(corpus: Artifact, config: BuildConfig, tokenizer: TokenCounter | None = None) -> str:
    return artifact_id(KIND, _config_dict(config, tokenizer), [corpus.id])


def run_build(store: ArtifactStore, corpus: Artifact, config: BuildConfig,
              progress: Progress = NULL_PROGRESS,
              tokenizer: TokenCounter | None = None) -> Artifact:
    """Build SFT and DPO datasets from a corpus; return the existing dataset if already built."""
    if corpus.kind != "corpus":
        raise InputError(f"artifact {corpus.id} is a {corpus.kind}, the build needs a corpus")
    aid = dataset_id(corpus, config, tokenizer)
    if (done := store.existing(KIND, aid)) is not None:
        return done
    corpus.verify()
    conv_path = corpus.file(CONVERSATIONS)
    if not conv_path.is_file():
        raise InputError(f"corpus {corpus.id} has no {CONVERSATIONS}", path=str(corpus.path))
    with store.staged(KIND) as staging:
        built = build_dataset(read_conversations(conv_path), config,
                              work_items=read_work_items(corpus.file(WORK_ITEMS)),
                              tokenizer=tokenizer, progress=progress)
        write_dataset(built, staging)
        summary = {"sft_train": built.stats["sft"][TRAIN], "sft_eval": built.stats["sft"][EVAL],
                   "dpo_train": built.stats["dpo"][TRAIN], "dpo_eval": built.stats["dpo"][EVAL]}
        return store.commit(staging, kind=KIND, aid=aid, config=_config_dict(config, tokenizer),
                            inputs=[corpus],
                            extra={"summary": summary})
