"""Eval suites: the prompts a model is scored on, built from a dataset's held-out rows or a file.

An `EvalPrompt` is a conversation up to the point where the reference assistant made tool
calls, plus those calls as the expectation. From an SFT eval row (OpenAI `messages` + `tools`)
every assistant message with tool calls yields one prompt. Suite files (JSON list, JSON
`{"prompts": [...]}` or JSONL) hold either prompts in this shape or SFT rows. Pure except for
the file readers at the bottom.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from forge.errors import InputError
from forge.evaluate.checkers import ARGUMENT_MATCH, CHECKERS, TOOL_CHOICE, VALIDITY
from forge.jsonl import read_jsonl

DEFAULT_CHECKS = [TOOL_CHOICE, VALIDITY, ARGUMENT_MATCH]
SFT_EVAL_FILE = "sft_eval.jsonl"


@dataclass
class EvalPrompt:
    id: str
    messages: list[dict[str, Any]]  # OpenAI messages, ending before the expected reply
    tools: list[dict[str, Any]]  # OpenAI tool schemas offered to the model
    expected: list[dict[str, Any]]  # [{"name", "arguments": {...}}]
    task: str = "unknown"
    agent_role: str | None = None
    checks: list[str] = field(default_factory=lambda: list(DEFAULT_CHECKS))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _expected_call(call: dict[str, Any], where: str) -> dict[str, Any]:
    fn = call.get("function", call)
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
        raise ValueError(f"{where}: tool call without a function name")
    args = fn.get("arguments", {})
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: tool call arguments are not JSON ({e.msg})") from None
    if not isinstance(args, dict):
        raise ValueError(f"{where}: tool call arguments are not a JSON object")
    return {"name": fn["name"], "arguments": args}


def prompts_from_row(row: dict[str, Any], single_call: bool = False) -> list[EvalPrompt]:
    """One prompt per assistant message with tool calls: the messages before it → its calls.
    `single_call`: the model's template takes one call per message (Llama 3.1), as training
    wrote the row, so parallel calls are one prompt each (turns.one_call_per_turn)."""
    row_id = str(row.get("id", "row"))
    messages = row.get("messages")
    if not isinstance(messages, list):
        raise ValueError(f"row {row_id}: 'messages' must be a list")
    if single_call:
        from forge.models.turns import one_call_per_turn

        messages = one_call_per_turn(messages)
    from forge.evaluate.gastown import categories_for  # registers with the checkers: import late

    out = []
    for i, msg in enumerate(messages):
        if msg.get("role") != "assistant" or not msg.get("tool_calls") or i == 0:
            continue
        expected = [_expected_call(c, f"row {row_id} message {i}") for c in msg["tool_calls"]]
        # the Gas Town categories the reference calls exercise are scored (and gated) too
        checks = DEFAULT_CHECKS + categories_for(expected, _cwd(messages[:i]))
        out.append(
            EvalPrompt(
                id=f"{row_id}#{i}",
                messages=messages[:i],
                tools=list(row.get("tools") or []),
                expected=expected,
                task=row.get("task") or "unknown",
                agent_role=row.get("agent_role"),
                checks=checks,
            )
        )
    return out


def _cwd(messages: list[dict[str, Any]]) -> str | None:
    from forge.evaluate.gastown_actions import context_from_prompt

    return context_from_prompt(EvalPrompt("", messages, [], [])).cwd


def prompt_from_dict(d: dict[str, Any]) -> EvalPrompt:
    """A prompt written out in suite-file shape (`expected` given explicitly)."""
    missing = [k for k in ("id", "messages", "expected") if k not in d]
    if missing:
        raise ValueError(f"prompt is missing {', '.join(repr(k) for k in missing)}")
    checks = list(d.get("checks") or DEFAULT_CHECKS)
    unknown = [c for c in checks if c not in CHECKERS]
    if unknown:
        raise ValueError(f"prompt {d['id']}: unknown checker(s) {unknown}; known: {sorted(CHECKERS)}")
    expected = [_expected_call(c, f"prompt {d['id']}") for c in d["expected"]]
    return EvalPrompt(
        id=str(d["id"]),
        messages=list(d["messages"]),
        tools=list(d.get("tools") or []),
        expected=expected,
        task=d.get("task") or "unknown",
        agent_role=d.get("agent_role"),
        checks=checks,
    )


def prompts_from_records(records: Iterable[dict[str, Any]]) -> list[EvalPrompt]:
    """Suite-file records: explicit prompts (with `expected`) or SFT rows, mixed freely."""
    out: list[EvalPrompt] = []
    for rec in records:
        out += [prompt_from_dict(rec)] if "expected" in rec else prompts_from_row(rec)
    return out


def _rank(seed: int, prompt_id: str) -> str:
    return hashlib.sha256(f"{seed}:{prompt_id}".encode()).hexdigest()


def select_prompts(prompts: list[EvalPrompt], max_prompts: int, seed: int = 0) -> list[EvalPrompt]:
    """At most `max_prompts`, spread evenly across tasks (round-robin over tasks, each task's
    prompts in a seeded hash order) — the same input always gives the same selection."""
    by_task: dict[str, list[EvalPrompt]] = defaultdict(list)
    for p in prompts:
        by_task[p.task].append(p)
    queues = [sorted(ps, key=lambda p: _rank(seed, p.id)) for _, ps in sorted(by_task.items())]
    chosen: list[EvalPrompt] = []
    depth = 0
    while len(chosen) < max_prompts and any(depth < len(q) for q in queues):
        for q in queues:
            if depth < len(q) and len(chosen) < max_prompts:
                chosen.append(q[depth])
        depth += 1
    return chosen


# --- file readers -------------------------------------------------------------------------


def read_records(path: Path) -> list[dict[str, Any]]:
    """JSON objects from a .jsonl file (one per line) or a .json file (a list or {"prompts"})."""
    path = Path(path)
    if not path.is_file():
        raise InputError("suite file not found", path=str(path))
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON: {e.msg}", path=str(path), line=e.lineno) from None
        data = data.get("prompts", data) if isinstance(data, dict) else data
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError('expected a list of objects (or {"prompts": [...]})', path=str(path))
        return data
    return [rec for _, rec in read_jsonl(path)]


def load_suite_file(path: Path) -> list[EvalPrompt]:
    try:
        return prompts_from_records(read_records(path))
    except ValueError as e:
        raise InputError(str(e), path=str(path)) from None


def load_dataset_prompts(dataset_dir: Path, single_call: bool = False) -> list[EvalPrompt]:
    """All eval prompts from a dataset artifact's held-out SFT rows (see prompts_from_row)."""
    path = Path(dataset_dir) / SFT_EVAL_FILE
    if not path.is_file():
        raise InputError(
            f"dataset has no {SFT_EVAL_FILE}",
            path=str(dataset_dir),
            hint="build the dataset with an eval split (build stage)",
        )
    rows = read_records(path)
    prompts: list[EvalPrompt] = []
    for n, row in enumerate(rows, 1):
        try:
            prompts += prompts_from_row(row, single_call)
        except ValueError as e:
            raise InputError(str(e), path=str(path), line=n) from None
    return prompts
