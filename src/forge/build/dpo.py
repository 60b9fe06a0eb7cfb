"""DPO rows: a successful and a failed attempt at the same task, split where they diverge.

prompt   = the multi-turn prefix both attempts share (at least system + first user message),
           cut so it ends on a user or tool message;
chosen   = the successful attempt from there on; rejected = the failed attempt from there on.

Failures are paired first with a success on the same bead; otherwise with a success of the
same role and task in the same split that shares the opening prompt. Each failure is used
once; the success sharing the longest prefix wins (ties: the least used, then the first).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forge.build.canonical import message_key
from forge.build.curate import role_task_label
from forge.records import Conversation, Message, PreferencePair

PROMPT_ENDS = ("user", "tool")


def shared_prefix_length(a: list[Message], b: list[Message]) -> int:
    n = 0
    for x, y in zip(a, b):
        if message_key(x) != message_key(y):
            break
        n += 1
    return n


def _first_user_index(messages: list[Message]) -> int | None:
    """Index of the opening user message (after any system message), or None."""
    i = 1 if messages and messages[0].role == "system" else 0
    return i if i < len(messages) and messages[i].role == "user" else None


def prompt_cut(chosen: list[Message], rejected: list[Message]) -> int:
    """Length of the prompt: the shared prefix, shortened until it ends on a user/tool message."""
    cut = shared_prefix_length(chosen, rejected)
    while cut > 0 and chosen[cut - 1].role not in PROMPT_ENDS:
        cut -= 1
    return cut


def validate_pair(pair: PreferencePair) -> str | None:
    """Why the pair is unusable for DPO, or None when it is fine."""
    if not pair.prompt or _first_user_index(pair.prompt) is None:
        return "no_shared_prompt"
    if pair.prompt[-1].role not in PROMPT_ENDS:
        return "prompt_end"
    if not pair.chosen:
        return "empty_chosen"
    if not pair.rejected:
        return "empty_rejected"
    if pair.chosen[0].role != "assistant":
        return "chosen_not_assistant"
    if pair.rejected[0].role != "assistant":
        return "rejected_not_assistant"
    if [message_key(m) for m in pair.chosen] == [message_key(m) for m in pair.rejected]:
        return "identical"
    return None


def make_pair(chosen: Conversation, rejected: Conversation) -> PreferencePair | str:
    """The preference pair of two attempts, or the reason it is rejected."""
    cut = prompt_cut(chosen.messages, rejected.messages)
    first_user = _first_user_index(chosen.messages)
    if first_user is None or cut <= first_user:
        return "no_shared_prompt"
    pair = PreferencePair(
        prompt=chosen.messages[:cut],
        chosen=chosen.messages[cut:],
        rejected=rejected.messages[cut:],
        task=chosen.task,
        agent_role=chosen.agent_role,
        chosen_id=chosen.id,
        rejected_id=rejected.id,
    )
    reason = validate_pair(pair)
    return reason if reason else pair


@dataclass
class Pairing:
    pair: PreferencePair
    tools: list[dict[str, Any]]
    work_item: str | None
    split: str
    match: str  # "work_item" or "role_task": how the partner was found
    chosen_index: int = -1  # positions in the successes / failures lists pair_attempts was given
    rejected_index: int = -1


def merged_tools(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Both attempts' tool schemas, once each by function name, in first-seen order."""
    out, seen = [], set()
    for tool in [*a, *b]:
        name = (tool.get("function") or {}).get("name") or tool.get("name")
        if name not in seen:
            seen.add(name)
            out.append(tool)
    return out


def opening_key(conv: Conversation) -> str | None:
    """The normalised system + first user message: attempts that differ here answer different
    prompts and cannot form a pair."""
    first_user = _first_user_index(conv.messages)
    if first_user is None:
        return None
    return "\n".join(message_key(m) for m in conv.messages[: first_user + 1])


def pair_attempts(
    successes: list[Conversation], failures: list[Conversation], split_for: Callable[[Conversation], str]
) -> tuple[list[Pairing], Counter]:
    """Pair each failure with a success; return the pairs and the count of unpaired by reason."""
    keys = [[message_key(m) for m in s.messages] for s in successes]
    by_item: dict[str, list[int]] = defaultdict(list)
    by_role_task: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_opening: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
    for i, s in enumerate(successes):
        if s.work_item:
            by_item[s.work_item].append(i)
        group = (role_task_label(s), split_for(s))
        by_role_task[group].append(i)
        by_opening[(*group, opening_key(s))].append(i)
    uses: Counter = Counter()
    pairings: list[Pairing] = []
    rejected: Counter = Counter()
    for failure_index, failure in enumerate(failures):
        split = split_for(failure)
        group = (role_task_label(failure), split)
        same_item = by_item.get(failure.work_item or "", [])
        item_set = set(same_item)
        # other beads' successes can only pair when they open with the same prompt
        same_prompt = [i for i in by_opening.get((*group, opening_key(failure)), []) if i not in item_set]
        if not same_item and not same_prompt:
            rejected["no_shared_prompt" if by_role_task.get(group) else "no_success"] += 1
            continue
        failure_keys = [message_key(m) for m in failure.messages]

        def shared(i: int, failure_keys: list[str] = failure_keys) -> int:  # bound: this failure's keys
            return next(
                (n for n, (a, b) in enumerate(zip(keys[i], failure_keys)) if a != b),
                min(len(keys[i]), len(failure_keys)),
            )

        found = _best_partner(failure, successes, uses, shared, [("work_item", same_item), ("role_task", same_prompt)])
        if isinstance(found, str):
            rejected[found] += 1
            continue
        match, i, pair = found
        uses[i] += 1
        pairings.append(
            Pairing(
                pair=pair,
                tools=merged_tools(successes[i].tools, failure.tools),
                work_item=failure.work_item if match == "work_item" else None,
                split=split,
                match=match,
                chosen_index=i,
                rejected_index=failure_index,
            )
        )
    return pairings, rejected


def _best_partner(
    failure: Conversation,
    successes: list[Conversation],
    uses: Counter,
    shared: Callable[[int], int],
    groups: list[tuple[str, list[int]]],
) -> tuple[str, int, PreferencePair] | str:
    """The first valid pair, trying groups in order and within a group the longest shared
    prefix first; else the reason the most promising candidate was rejected."""
    first_reason = None
    for match, candidates in groups:
        for i in sorted(candidates, key=lambda i: (-shared(i), uses[i], i)):
            result = make_pair(successes[i], failure)
            if isinstance(result, PreferencePair):
                return match, i, result
            first_reason = first_reason or result
    return first_reason or "no_success"


def dpo_row(p: Pairing) -> dict[str, Any]:
    pair = p.pair
    pid = hashlib.sha256(f"{pair.chosen_id}\x00{pair.rejected_id}".encode()).hexdigest()[:16]
    return {
        "id": f"dpo-{pid}",
        "prompt": [m.to_openai() for m in pair.prompt],
        "chosen": [m.to_openai() for m in pair.chosen],
        "rejected": [m.to_openai() for m in pair.rejected],
        "tools": p.tools,
        "agent_role": pair.agent_role,
        "task": pair.task,
        "work_item": p.work_item,
        "chosen_id": pair.chosen_id,
        "rejected_id": pair.rejected_id,
        "match": p.match,
    }
