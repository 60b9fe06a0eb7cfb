"""The dataset build as logic: conversations in, SFT rows, DPO rows and stats out.

Order: dedupe (duplicates counted corpus-wide) → role/task selection → preparation (system
prompt, truncation) → SFT rows from curated successes and DPO pairs of successes and failures →
stable split by bead.

Two passes, so memory does not grow with the corpus. The first streams every session once and
keeps of each selected one only a skeleton: its labels and, per message, the role and a 128-bit
key (canonical.KeyedMessage) — enough to curate and to pair attempts. The second reloads the
sessions that give rows (`load(handle)`: a byte offset in the corpus file, or a list index) and
hands each row to a sink as it is made.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from forge.build.canonical import memoised_keys, skeleton
from forge.build.config import BuildConfig
from forge.build.curate import (
    effective_outcome,
    fill_from_work_items,
    has_assistant_turn,
    has_prompt,
    prepare,
    role_task_label,
    role_task_reason,
    sft_reason,
    success_rates,
)
from forge.build.dedupe import Deduper
from forge.build.dpo import Pairing, dpo_row, merged_tools, pair_attempts
from forge.build.sft import sft_row
from forge.build.split import EVAL, TRAIN, split_key, split_of
from forge.build.stats import TokenCounter, message_counts, summarise
from forge.build.unlabelled import UnlabelledTally, finish_row, shape
from forge.progress import NULL_PROGRESS, Progress
from forge.records import Conversation, PreferencePair, WorkItem

Row = dict[str, Any]


class RowSink(Protocol):
    def add_sft(self, split: str, row: Row) -> None: ...
    def add_dpo(self, split: str, row: Row) -> None: ...


@dataclass
class BuiltDataset:
    """The in-memory result (and sink) of build_dataset."""

    sft: dict[str, list[Row]] = field(default_factory=lambda: {TRAIN: [], EVAL: []})
    dpo: dict[str, list[Row]] = field(default_factory=lambda: {TRAIN: [], EVAL: []})
    stats: dict[str, Any] = field(default_factory=dict)

    def add_sft(self, split: str, row: Row) -> None:
        self.sft[split].append(row)

    def add_dpo(self, split: str, row: Row) -> None:
        self.dpo[split].append(row)


def build_dataset(
    conversations: Iterable[Conversation],
    config: BuildConfig,
    *,
    work_items: dict[str, WorkItem] | None = None,
    tokenizer: TokenCounter | None = None,
    progress: Progress = NULL_PROGRESS,
    fingerprints: Iterator[Any] | None = None,
) -> BuiltDataset:
    """The whole dataset in memory (see build_rows for the streaming form)."""
    convs = list(conversations)
    out = BuiltDataset()
    out.stats = build_rows(
        enumerate(convs),
        convs.__getitem__,
        config,
        out,
        work_items=work_items,
        tokenizer=tokenizer,
        progress=progress,
        fingerprints=fingerprints,
    )
    return out


class _Tally:
    """Row counts and token lengths, kept as rows stream past."""

    def __init__(self, tokenizer: TokenCounter | None):
        self.tokenizer = tokenizer
        self.sft = {TRAIN: 0, EVAL: 0}
        self.dpo = {TRAIN: 0, EVAL: 0}
        self.messages: Counter[str] = Counter()
        self.tokens: dict[str, list[int]] = {"sft": [], "dpo_chosen": [], "dpo_rejected": []}

    def add_sft(self, split: str, row: Row) -> None:
        self.sft[split] += 1
        self.messages.update(message_counts([row]))
        if self.tokenizer is not None:
            self.tokens["sft"].append(self.tokenizer(row["messages"], row["tools"]))

    def add_dpo(self, split: str, row: Row) -> None:
        self.dpo[split] += 1
        if self.tokenizer is not None:
            self.tokens["dpo_chosen"].append(self.tokenizer(row["prompt"] + row["chosen"], row["tools"]))
            self.tokens["dpo_rejected"].append(self.tokenizer(row["prompt"] + row["rejected"], row["tools"]))


def build_rows(
    conversations: Iterable[tuple[Any, Conversation]],
    load: Callable[[Any], Conversation],
    config: BuildConfig,
    sink: RowSink,
    *,
    work_items: dict[str, WorkItem] | None = None,
    tokenizer: TokenCounter | None = None,
    progress: Progress = NULL_PROGRESS,
    fingerprints: Iterator[Any] | None = None,
) -> dict[str, Any]:
    """Stream (handle, conversation) pairs through both passes; rows go to `sink`; returns the
    stats. `fingerprints`: the dedupe's per-session fingerprints in the same order, when computed
    elsewhere (a process pool, see fingerprint.py); else the dedupe computes them."""
    items = work_items or {}

    def ready(conv: Conversation) -> Conversation:
        return prepare(fill_from_work_items(conv, items), config)

    def split_for(conv: Conversation) -> str:
        return split_of(split_key(conv), config.eval_fraction, config.split_salt)

    # pass 1: dedupe, select, prepare; keep skeletons
    deduper = (
        Deduper(config.near_dup_threshold, config.shingle_words, config.minhash_permutations) if config.dedupe else None
    )
    read = progress.task("build: read and dedupe")
    filtered: Counter = Counter()
    outcomes: Counter = Counter()  # sessions after dedupe, by outcome
    sources: Counter = Counter()  # ... by where the outcome came from
    formats: dict[str, Counter] = {}  # ... per source format: sessions, labelled
    selected: list[tuple[Any, Conversation]] = []
    seen = kept = 0
    for handle, conv in conversations:
        seen += 1
        read.advance(1)
        with memoised_keys():  # per session: keys computed once, nothing held past it
            conv = fill_from_work_items(conv, items)
            fp = next(fingerprints) if fingerprints is not None else None
            if deduper is not None and not deduper.keep(conv, fp):
                continue
            kept += 1
            outcome = effective_outcome(conv, config)
            outcomes[outcome] += 1
            sources[(conv.outcome_source or "none") if outcome != "unknown" else "none"] += 1
            per = formats.setdefault(str(conv.metadata.get("format") or "unknown"), Counter())
            per["sessions"] += 1
            per["labelled"] += outcome != "unknown"
            reason = role_task_reason(conv, config)
            if reason is None:
                conv = prepare(conv, config)
                reason = None if has_assistant_turn(conv) else "no_assistant_turn"
                reason = reason or (None if has_prompt(conv) else "no_prompt")
            if reason:
                filtered[reason] += 1
            else:
                fmt = {"format": conv.metadata.get("format")}
                selected.append(
                    (handle, dataclasses.replace(conv, messages=skeleton(conv.messages), tools=[], metadata=fmt))
                )
    read.done(conversations=seen, kept=kept)

    # pass 2: rows
    tally = _Tally(tokenizer)
    rows_task = progress.task("build: rows", total=len(selected))
    rates = success_rates(s for _, s in selected)
    sft_by_role_task: Counter = Counter()
    sft_by_format: Counter = Counter()
    unlabelled = UnlabelledTally(config.unlabelled)
    for handle, sk in selected:
        reason = sft_reason(sk, rates, config)
        row = None
        if reason is None and effective_outcome(sk, config) == "unknown":
            shaped = shape(ready(load(handle)), config, unlabelled)
            if shaped.conv is None:
                reason = "no_successful_turn"
            else:
                row = finish_row(sft_row(shaped.conv), shaped, config, unlabelled)
        elif reason is None:
            row = sft_row(ready(load(handle)))
        if reason:
            filtered[reason] += 1
        elif row is not None:
            split = split_for(sk)
            sink.add_sft(split, row)
            tally.add_sft(split, row)
            sft_by_role_task[role_task_label(sk)] += 1
            sft_by_format[str(sk.metadata.get("format") or "unknown")] += 1
        rows_task.advance(1)

    dpo_rejected: Counter = Counter()
    dpo_by_role_task: Counter = Counter()
    dpo_by_match: Counter = Counter()
    if config.dpo:
        successes = [(h, s) for h, s in selected if effective_outcome(s, config) == "success"]
        failures = [(h, s) for h, s in selected if effective_outcome(s, config) == "failure"]
        pairings, dpo_rejected = pair_attempts([s for _, s in successes], [s for _, s in failures], split_for)
        for p in pairings:
            row = dpo_row(
                _real_pairing(p, ready(load(successes[p.chosen_index][0])), ready(load(failures[p.rejected_index][0])))
            )
            sink.add_dpo(p.split, row)
            tally.add_dpo(p.split, row)
            dpo_by_role_task[f"{p.pair.agent_role or 'unknown'}/{p.pair.task or 'unknown'}"] += 1
            dpo_by_match[p.match] += 1
    rows_task.done(sft=sum(tally.sft.values()), dpo=sum(tally.dpo.values()))

    stats: dict[str, Any] = {
        "conversations_in": seen,
        "exact_duplicates": deduper.exact_duplicates if deduper else 0,
        "near_duplicates": deduper.near_duplicates if deduper else 0,
        "filtered": dict(sorted(filtered.items())),
        "sft": dict(tally.sft),
        "dpo": {
            **tally.dpo,
            "rejected": dict(sorted(dpo_rejected.items())),
            "by_match": dict(sorted(dpo_by_match.items())),
        },
        "by_role_task": dict(sorted(sft_by_role_task.items())),
        "sft_by_format": dict(sorted(sft_by_format.items())),
        "outcomes": {
            "sessions": kept,
            "labelled": kept - outcomes.get("unknown", 0),
            "by_outcome": dict(sorted(outcomes.items())),
            "by_source": dict(sorted(sources.items())),
            "by_format": {k: dict(sorted(v.items())) for k, v in sorted(formats.items())},
        },
        "unlabelled": unlabelled.to_dict(),
        "dpo_by_role_task": dict(sorted(dpo_by_role_task.items())),
        **{k: tally.messages.get(k, 0) for k in ("messages", "tool_calls", "chars")},
    }
    if tokenizer is not None:
        stats["tokens"] = {"tokenizer": tokenizer.name, **{k: summarise(v) for k, v in tally.tokens.items()}}
    return stats


def _real_pairing(p: Pairing, chosen: Conversation, rejected: Conversation) -> Pairing:
    """The pairing made on skeletons, filled with the sessions' messages (cut at the same place)."""
    cut = len(p.pair.prompt)
    pair = PreferencePair(
        prompt=chosen.messages[:cut],
        chosen=chosen.messages[cut:],
        rejected=rejected.messages[cut:],
        task=p.pair.task,
        agent_role=p.pair.agent_role,
        chosen_id=p.pair.chosen_id,
        rejected_id=p.pair.rejected_id,
    )
    return dataclasses.replace(p, pair=pair, tools=merged_tools(chosen.tools, rejected.tools))
