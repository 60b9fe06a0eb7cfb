"""Why a build made no rows, in numbers, and what to do next. Pure: reads the build's stats.

`run_build(..., require=...)` raises a ForgeError with this text when a family of rows the
training method needs (SFT, DPO) came out empty, so a job stops at the build with the true
reason instead of failing later, deep in training, with a misleading one.
"""

from __future__ import annotations

from typing import Any

# what each filter reason says about the sessions it counted, and what to do about it
REASONS: dict[str, tuple[str, str]] = {
    "unknown_outcome": (
        "have no known outcome",
        'set build.unlabelled = "successful_turns" (or "include") to learn from '
        "sessions without a known outcome, or link them to beads",
    ),
    "no_successful_turn": (
        "have no known outcome and no assistant turn whose tool results succeeded",
        'set build.unlabelled = "include" to keep them whole',
    ),
    "failure": (
        "failed",
        "failed sessions make DPO pairs, not SFT rows: add successful sessions, or train with method dpo",
    ),
    "role": (
        "are outside the selected roles",
        "check build.roles (the corpus's roles are in its report: forge corpus ingest ... --json)",
    ),
    "task": ("are outside the selected tasks", "check build.tasks"),
    "low_success_rate": ("belong to beads or role/task pools below min_success", "lower build.min_success"),
    "no_assistant_turn": ("have no assistant turn", "these are context documents or prompts only; add agent sessions"),
    "no_prompt": (
        "have no request before the agent's first turn",
        "a `codex exec --json` stream does not record the prompt: ingest the rollout Codex wrote for "
        "the same session (~/.codex/sessions) instead",
    ),
}


def _why(stats: dict[str, Any]) -> tuple[list[str], str | None]:
    filtered = stats.get("filtered") or {}
    parts, hint, worst = [], None, 0
    for reason, n in sorted(filtered.items(), key=lambda kv: (-kv[1], kv[0])):
        said, todo = REASONS.get(reason, (f"were set aside ({reason})", None))
        parts.append(f"{n} {said}")
        if n > worst and todo:
            worst, hint = n, todo
    dups = stats.get("exact_duplicates", 0) + stats.get("near_duplicates", 0)
    if dups:
        parts.append(f"{dups} were duplicates")
    return parts, hint


def no_sft_rows(stats: dict[str, Any]) -> tuple[str, str]:
    """(message, hint) for a build that made no SFT row."""
    total = stats.get("conversations_in", 0)
    if not total:
        return (
            "the build made 0 SFT rows: the corpus has no conversations",
            "ingest agent sessions (forge corpus ingest PATH); beads and convention files alone make no rows",
        )
    parts, hint = _why(stats)
    unlabelled = stats.get("unlabelled") or {}
    policy = unlabelled.get("policy")
    detail = "; ".join(parts) if parts else "none was kept"
    if policy and any("no known outcome" in p for p in parts):
        detail += f' (build.unlabelled = "{policy}")'
    return (
        f"the build made 0 SFT rows from {total} sessions: {detail}",
        hint or "check the build's filters against the corpus report",
    )


def no_dpo_pairs(stats: dict[str, Any]) -> tuple[str, str]:
    """(message, hint) for a build that made no DPO pair."""
    outcomes = (stats.get("outcomes") or {}).get("by_outcome") or {}
    wins, losses = outcomes.get("success", 0), outcomes.get("failure", 0)
    rejected = (stats.get("dpo") or {}).get("rejected") or {}
    unpaired = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(rejected.items()))
    msg = f"the build made 0 DPO pairs: {wins} successful and {losses} failed sessions" + (
        f"; not paired: {unpaired}" if unpaired else ""
    )
    if not wins or not losses:
        hint = (
            "DPO needs a success and a failure at the same task (the same bead, or the same "
            "role, task and opening prompt): ingest both, or train with method sft"
        )
    else:
        hint = "pairs need a shared opening prompt; see dpo.rejected in the dataset stats"
    return msg, hint
