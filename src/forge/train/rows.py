"""SFT rows: reading them from a dataset artifact and turning them into token ids + loss masks.

A row is {"id", "messages": [OpenAI chat messages], "tools": [OpenAI tool schemas], ...}.
Rows are tokenised here, one at a time, with the tokenizer's chat template — never through an
Arrow table, which would unify the differently shaped tool schemas and fill missing keys with
None (rendered as `null` in the prompt). Only assistant turns are learned, with masks found for
any chat template (models/masks.py), and long rows become windows in which every assistant turn
is learned (models/windows.py). Pure apart from `read_rows`; the tokenizer is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.errors import InputError
from forge.jsonl import read_jsonl
from forge.models.turns import template_messages  # noqa: F401  (re-exported: rows in template shape)
from forge.progress import NULL_PROGRESS, Progress

TRAIN_FILE, EVAL_FILE = "sft_train.jsonl", "sft_eval.jsonl"
ROLES = ("system", "user", "assistant", "tool")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of an SFT jsonl file, each checked; a bad line raises InputError naming it."""
    rows = []
    for n, row in read_jsonl(path):
        problem = row_problem(row)
        if problem:
            raise InputError(problem, path=str(path), line=n)
        rows.append(row)
    return rows


def row_problem(row: Any) -> str | None:
    """Why a row cannot be trained on, or None."""
    if not isinstance(row, dict):
        return "row is not a JSON object"
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return "row has no 'messages' list"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            return f"message {i} has no valid 'role' (one of {', '.join(ROLES)})"
    if not any(m["role"] == "assistant" for m in messages):
        return "row has no assistant message to learn from"
    tools = row.get("tools", [])
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        return "'tools' must be a list of tool schemas"
    return None


def row_weight(row: dict[str, Any]) -> float:
    """The row's loss weight (build/unlabelled.py's "weighted" policy sets it), default 1."""
    w = row.get("weight", 1.0)
    return float(w) if isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 else 1.0


@dataclass
class TokenizedRows:
    input_ids: list[list[int]] = field(default_factory=list)
    assistant_masks: list[list[int]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)  # loss weight of each window's row
    rows: int = 0  # rows read
    split: int = 0  # rows that became more than one window
    truncated: int = 0  # turns longer than max_length on their own, learned up to it
    dropped: int = 0  # rows with no assistant token learned
    tokens: int = 0  # tokens in all windows
    assistant_tokens: int = 0  # tokens learned
    turns: int = 0  # assistant turns to learn (weight > 0)
    turns_learned: int = 0
    turns_zero_weight: int = 0
    turns_dropped: dict[str, int] = field(default_factory=dict)  # reason → turns
    prompt_differs: int = 0  # turns learned after a generation prompt that differs from their render
    without_context: int = 0  # turns learned without the tool results or message they answer
    restarted: int = 0  # turns learned after a prompt the template refuses right after a tool result

    def report(self) -> dict[str, Any]:
        """The figures train_log.json and the job log carry."""
        return {
            "rows": self.rows,
            "windows": len(self.input_ids),
            "split_rows": self.split,
            "tokens": self.tokens,
            "assistant_tokens": self.assistant_tokens,
            "turns": self.turns,
            "turns_learned": self.turns_learned,
            "turns_zero_weight": self.turns_zero_weight,
            "turns_truncated": self.truncated,
            "turns_dropped": dict(sorted(self.turns_dropped.items())),
            "rows_dropped": self.dropped,
            "prompt_differs": self.prompt_differs,
            "turns_without_context": self.without_context,
            "turns_after_refused_history": self.restarted,
        }

    @property
    def kept(self) -> int:
        """Rows that contribute at least one learned turn."""
        return self.rows - self.dropped

    def summary(self) -> str:
        """What the job log says: "N (T tokens, L learned; ...)" with every row's fate."""
        text = (
            f"{self.kept} ({self.tokens} tokens, {self.assistant_tokens} learned; "
            f"{len(self.input_ids)} windows, {self.split} rows split; "
            f"{self.turns_learned} of {self.turns} assistant turns learned"
        )
        if self.turns_zero_weight:
            text += f", {self.turns_zero_weight} weight-0 turns kept as context"
        text += f"; {self.truncated} turns cut at max_seq_length; {self.dropped} rows dropped"
        if self.without_context:
            text += (
                f"; {self.without_context} turns learned without the messages they answer "
                "(the system prompt, tools and task leave too little room: a longer max_seq_length keeps them)"
            )
        if self.restarted:
            text += (
                f"; {self.restarted} turns learned without the history before a prompt that follows a tool result "
                "(the chat template refuses a user message right after a tool result)"
            )
        if self.turns_dropped:
            text += "; turns not learned: " + ", ".join(
                f"{n} ({why})" for why, n in sorted(self.turns_dropped.items(), key=lambda kv: -kv[1])
            )
        return text + ")"


def tokenize_row(tokenizer, row: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Token ids and the assistant mask (1 = learned) of one whole row via the chat template:
    every assistant turn with an exact span and weight > 0 (masks.py), no length limit."""
    from forge.models.masks import render_turns
    from forge.models.turns import message_weight

    learn = [i for i, m in enumerate(row["messages"]) if m.get("role") == "assistant" and message_weight(m) > 0]
    r = render_turns(tokenizer, row["messages"], row.get("tools") or None, learn)
    return r.ids, r.mask()


def tokenize_rows(
    tokenizer, rows: list[dict[str, Any]], max_length: int, progress: Progress = NULL_PROGRESS, name: str = "tokenize"
) -> TokenizedRows:
    """Every row as windows of at most max_length tokens in which each assistant turn is learned
    once (models/windows.py); rows with nothing to learn are dropped and counted, with why."""
    from forge.models.masks import Renderer
    from forge.models.windows import row_windows

    renderer = Renderer(tokenizer)
    out = TokenizedRows()
    task = progress.task(name, total=len(rows))
    for n, row in enumerate(rows):
        out.rows += 1
        rid = str(row.get("id", n))
        got = row_windows(tokenizer, row["messages"], row.get("tools") or None, max_length, renderer=renderer)
        task.advance()
        out.turns += got.turns
        out.turns_zero_weight += got.zero_weight
        out.turns_learned += got.learned
        out.truncated += got.truncated
        out.prompt_differs += got.prompt_differs
        out.without_context += got.without_context
        out.restarted += got.restarted
        for why in got.dropped.values():
            out.turns_dropped[why] = out.turns_dropped.get(why, 0) + 1
        if not got.windows:
            out.dropped += 1
            continue
        out.split += len(got.windows) > 1
        for w, window in enumerate(got.windows):
            out.input_ids.append(window.ids)
            out.assistant_masks.append(window.mask)
            out.ids.append(rid if len(got.windows) == 1 else f"{rid}#w{w}")
            out.weights.append(row_weight(row))
            out.tokens += len(window.ids)
            out.assistant_tokens += sum(window.mask)
    task.done()
    return out
