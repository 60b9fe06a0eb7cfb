"""The dataset build as pure logic: conversations in, SFT rows, DPO rows and stats out.

Order: dedupe over everything read (duplicates counted corpus-wide) → role/task selection →
preparation (system prompt, truncation) → SFT rows from curated successes and DPO pairs of
successes and failures → stable split by bead.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from forge.build.config import BuildConfig
from forge.build.curate import (fill_from_work_items, has_assistant_turn, prepare,
                                role_task_label, role_task_reason, sft_reason, success_rates)
from forge.build.dedupe import dedupe
from forge.build.dpo import dpo_row, pair_attempts
from forge.build.sft import sft_row
from forge.build.split import EVAL, TRAIN, split_key, split_of
from forge.build.stats import TokenCounter, message_counts, token_stats
from forge.progress import NULL_PROGRESS, Progress
from forge.records import Conversation, WorkItem

Row = dict[str, Any]


@dataclass
class BuiltDataset:
    sft: dict[str, list[Row]] = field(default_factory=lambda: {TRAIN: [], EVAL: []})
    dpo: dict[str, list[Row]] = field(default_factory=lambda: {TRAIN: [], EVAL: []})
    stats: dict[str, Any] = field(default_factory=dict)


def build_dataset(conversations: Iterable[Conversation], config: BuildConfig, *,
                  work_items: dict[str, WorkItem] | None = None,
                  tokenizer: TokenCounter | None = None,
                  progress: Progress = NULL_PROGRESS) -> BuiltDataset:
    items = work_items or {}
    read = progress.task("build: read and dedupe")
    convs: list[Conversation] = []
    for conv in conversations:
        convs.append(fill_from_work_items(conv, items))
        read.advance(1)
    deduped = dedupe(convs, near_threshold=config.near_dup_threshold,
                     shingle_words=config.shingle_words,
                     permutations=config.minhash_permutations) if config.dedupe else None
    kept = deduped.kept if deduped else convs
    read.done(conversations=len(convs), kept=len(kept))

    filtered: Counter = Counter()
    selected: list[Conversation] = []
    for conv in kept:
        reason = role_task_reason(conv, config)
        if reason is None:
            conv = prepare(conv, config)
            reason = None if has_assistant_turn(conv) else "no_assistant_turn"
        if reason:
            filtered[reason] += 1
        else:
            selected.append(conv)

    def split_for(conv: Conversation) -> str:
        return split_of(split_key(conv), config.eval_fraction, config.split_salt)

    out = BuiltDataset()
    rows_task = progress.task("build: rows", total=len(selected))
    rates = success_rates(selected)
    sft_by_role_task: Counter = Counter()
    for conv in selected:
        reason = sft_reason(conv, rates, config)
        if reason:
            filtered[reason] += 1
        else:
            out.sft[split_for(conv)].append(sft_row(conv))
            sft_by_role_task[role_task_label(conv)] += 1
        rows_task.advance(1)

    dpo_rejected: Counter = Counter()
    dpo_by_role_task: Counter = Counter()
    dpo_by_match: Counter = Counter()
    if config.dpo:
        successes = [c for c in selected if c.outcome == "success"]
        failures = [c for c in selected if c.outcome == "failure"]
        pairings, dpo_rejected = pair_attempts(successes, failures, split_for)
        for p in pairings:
            out.dpo[p.split].append(dpo_row(p))
            dpo_by_role_task[f"{p.pair.agent_role or 'unknown'}/{p.pair.task or 'unknown'}"] += 1
            dpo_by_match[p.match] += 1
    rows_task.done(sft=sum(map(len, out.sft.values())), dpo=sum(map(len, out.dpo.values())))

    all_sft = out.sft[TRAIN] + out.sft[EVAL]
    out.stats = {
        "conversations_in": len(convs),
        "exact_duplicates": deduped.exact_duplicates if deduped else 0,
        "near_duplicates": deduped.near_duplicates if deduped else 0,
        "filtered": dict(sorted(filtered.items())),
        "sft": {TRAIN: len(out.sft[TRAIN]), EVAL: len(out.sft[EVAL])},
        "dpo": {TRAIN: len(out.dpo[TRAIN]), EVAL: len(out.dpo[EVAL]),
                "rejected": dict(sorted(dpo_rejected.items())),
                "by_match": dict(sorted(dpo_by_match.items()))},
        "by_role_task": dict(sorted(sft_by_role_task.items())),
        "dpo_by_role_task": dict(sorted(dpo_by_role_task.items())),
        **message_counts(all_sft),
    }
    if tokenizer is not None:
        out.stats["tokens"] = token_stats(all_sft, out.dpo[TRAIN] + out.dpo[EVAL], tokenizer)
    return out
