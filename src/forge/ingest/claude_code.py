"""Reader for Claude Code session transcripts (~/.claude/projects/<slug>/<sessionId>.jsonl).

Each line is an entry: `user` / `assistant` entries carry an Anthropic `message`; `summary`,
`file-history-snapshot`, `queue-operation` and `system` entries carry no conversation text.
Entries chain through `parentUuid`; Claude Code writes one entry per content block, so one API
message spans several consecutive entries sharing `message.id`. Tool results come back as
`user` entries holding `tool_result` blocks. Sub-agent (Task) work is marked `isSidechain`.

The main thread is the chain that ends at the file's last main-thread entry, walked back through
`parentUuid` (so abandoned branches after a rewind are left out). It becomes one Conversation in
OpenAI shape: assistant text + tool calls, tool results as `tool` messages. Thinking blocks and
images are dropped and counted; sidechain entries are kept out and counted.

A subagent file (`<project>/<sessionId>/subagents/agent-<agentId>.jsonl`, or the older
`<project>/agent-<agentId>.jsonl`) holds only sidechain entries: its thread becomes a
Conversation of its own, id `<parent sessionId>/agent-<agentId>`, with `parent_session` and
`agent_id` in its metadata (it links to its parent's bead through the parent's id). A parent
lists the subagents its Task calls started under `metadata.subagents`.

A line that is not a Claude Code entry (another tool's header, a stray object) is skipped with
a warning naming its line; the rest of the file is read. The project folder's name
(`-home-alice-acme`: the working directory with `/` as `-`) is kept as `metadata.project_dir`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.classify import role_from_cwd, task_from_tools
from forge.ingest.gemini_cli import is_gemini_head
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import tools_for
from forge.jsonl import as_dict, iter_jsonl
from forge.records import Conversation, Message, SourceRef, ToolCall

MESSAGE_TYPES = ("user", "assistant")
# entries without conversation text; they may still sit on the parentUuid chain
QUIET_TYPES = ("summary", "file-history-snapshot", "queue-operation", "system", "progress")
# user text Claude Code writes itself, not the person: slash-command echoes, interruptions,
# background-task notices (a notice, like a Stop hook's feedback, is kept when it re-prompts the model)
HARNESS_TEXT = re.compile(
    r"^\s*(<command-(name|message|args)>|<local-command-stdout>|<task-notification>|"
    r"\[Request interrupted by user)"
)
# a blocking Stop hook's message to the model (an isMeta user entry): the model goes on from it
HOOK_FEEDBACK = "Stop hook feedback:"
# a slash command's echo: what the person typed after the command, and (Claude Code 1.0.x) the
# prompt it expanded to; 2.x writes the expansion as the next entry, marked isMeta
COMMAND_ARGS = re.compile(r"<command-args>(.*?)</command-args>", re.S)
COMMAND_CONTENTS = re.compile(r"<command-contents>(.*?)</command-contents>", re.S)
# how far a parent link is followed through entries that carry no message (hook progress)
MAX_QUIET_HOPS = 64


def detect(path: Path, head: bytes) -> bool:
    if path.suffix != ".jsonl" or is_gemini_head(head):  # Gemini CLI's log has sessionId and types too
        return False
    compact = head.replace(b" ", b"")
    entry = any(b'"type":"%s"' % kind.encode() in compact for kind in (*MESSAGE_TYPES, *QUIET_TYPES))
    return (b'"sessionId"' in head and (b'"parentUuid"' in head or b'"uuid"' in head or entry)) or (
        b'"leafUuid"' in head and b'"type":"summary"' in compact
    )


class _Counts(dict):
    def bump(self, key: str, n: int = 1) -> None:
        self[key] = self.get(key, 0) + n


def _valid_entry(obj: dict[str, Any]) -> str | None:
    """Why a user/assistant entry cannot be used, or None."""
    if not isinstance(obj.get("uuid"), str):
        return "wrong schema: entry has no uuid"
    msg = obj.get("message")
    if not isinstance(msg, dict):
        return "wrong schema: entry has no message object"
    content = msg.get("content")
    if not isinstance(content, (str, list)):
        return "wrong schema: message.content is neither text nor a list of blocks"
    if isinstance(content, list) and not all(isinstance(b, dict) for b in content):
        return "wrong schema: message.content holds a non-object block"
    return None


def _main_thread(
    entries: list[tuple[int, dict[str, Any]]], by_uuid: dict[str, tuple[int, dict]], sidechain: bool = False
) -> list[tuple[int, dict[str, Any]]]:
    """The chain from the last main-thread message entry back to its root, in order
    (of the sidechain entries instead, for a subagent's own file)."""
    main = [(n, e) for n, e in entries if bool(e.get("isSidechain")) == sidechain and e.get("type") in MESSAGE_TYPES]
    if not main:
        return []
    if not any("parentUuid" in e for _, e in main):  # no threading recorded: keep file order
        return main
    chain: list[tuple[int, dict[str, Any]]] = []
    seen: set[str | None] = set()
    node: tuple[int, dict[str, Any]] | None = main[-1]
    while node is not None and node[1].get("uuid") not in seen:
        seen.add(node[1].get("uuid"))
        chain.append(node)
        parent = node[1].get("parentUuid") or node[1].get("logicalParentUuid")
        found = by_uuid.get(parent) if isinstance(parent, str) else None
        if found is None and node[1].get("subtype") == "compact_boundary":
            # the entry compacted from is not in the file: the thread before the compaction
            # ends with the last message written before its boundary
            found = next(((n, e) for n, e in reversed(main) if n < node[0]), None)
        node = found
    chain.reverse()
    thread = [(n, e) for n, e in chain if e.get("type") in MESSAGE_TYPES and bool(e.get("isSidechain")) == sidechain]
    return _with_parallel_calls(thread, main, by_uuid)


def _message_id(entry: dict[str, Any]) -> Any:
    return entry["message"].get("id") if entry.get("type") == "assistant" else None


def _result_ids(entry: dict[str, Any]) -> list[Any] | None:
    """The call ids a user entry answers, when it holds only tool results; else None."""
    content = entry["message"]["content"]
    if entry.get("type") != "user" or not isinstance(content, list) or not content:
        return None
    if not all(b.get("type") == "tool_result" for b in content):
        return None
    return [b.get("tool_use_id") for b in content]


def _message_parent(entry: dict[str, Any], by_uuid: dict[str, tuple[int, dict]]) -> Any:
    """The uuid of the nearest message entry above this one: hook `progress` entries (and other
    entries without a message) sit between a call and what follows it in Claude Code 2.1."""
    parent = entry.get("parentUuid")
    for _ in range(MAX_QUIET_HOPS):
        found = by_uuid.get(parent) if isinstance(parent, str) else None
        if found is None or found[1].get("type") in MESSAGE_TYPES:
            return parent
        parent = found[1].get("parentUuid")
    return parent


def _call_ids(entry: dict[str, Any]) -> list[Any]:
    content = entry["message"]["content"]
    if entry.get("type") != "assistant" or not isinstance(content, list):
        return []
    return [b.get("id") for b in content if b.get("type") == "tool_use"]


def _with_parallel_calls(
    thread: list[tuple[int, dict[str, Any]]],
    candidates: list[tuple[int, dict[str, Any]]],
    by_uuid: dict[str, tuple[int, dict]],
) -> list[tuple[int, dict[str, Any]]]:
    """The thread with the parallel calls and results that hang off it. Claude Code writes a
    turn of parallel calls as a tree: each call's entry a child of the one before (or of a hook's
    progress entry, or of a result already written while the reply still streamed), each result
    a child of its own call, and the next message a child of the last result written. The walk
    back from the end follows one path through it; the other calls (same API message as one on
    the thread) and results (answering a call on the thread not yet answered) belong to the same
    turns. An abandoned branch starts with a prompt or another API message, so none of it comes in."""
    on = {e["uuid"]: e for _, e in thread}
    replies = {_message_id(e) for _, e in thread} - {None}
    called = {i for _, e in thread for i in _call_ids(e)}
    answered = {i for _, e in thread for i in (_result_ids(e) or [])}
    extra: list[tuple[int, dict[str, Any]]] = []
    for n, e in candidates:  # file order: a parent is written before its children
        if e["uuid"] in on:
            continue
        ids = _result_ids(e)
        sibling_call = _message_id(e) in replies
        answers = (
            ids is not None
            and not answered.intersection(ids)
            and (_message_parent(e, by_uuid) in on or called.issuperset(ids))
        )
        if sibling_call or answers:
            extra.append((n, e))
            on[e["uuid"]] = e
            called.update(_call_ids(e))
            answered.update(ids or [])
    if not extra:
        return thread
    return sorted(thread + extra, key=lambda item: item[0])


def _result_text(content: Any, counts: _Counts) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif isinstance(block, dict) and block.get("type") == "image":
                counts.bump("images")
            else:
                parts.append(json.dumps(block, ensure_ascii=False))
        return "\n".join(parts)
    return "" if content is None else json.dumps(content, ensure_ascii=False)


def _command_prompt(text: str) -> tuple[str | None, str]:
    """A slash command's echo: (the prompt it expanded to where the echo holds it, the text typed
    after the command). Claude Code 1.0.x writes the expansion as the JSON of a text block."""
    args = COMMAND_ARGS.search(text)
    typed = args.group(1).strip() if args else ""
    contents = COMMAND_CONTENTS.search(text)
    if contents is None:
        return None, typed
    body = contents.group(1).strip()
    try:
        block = json.loads(body)
    except ValueError:
        return body or None, typed
    if isinstance(block, dict) and isinstance(block.get("text"), str):
        return block["text"].strip() or None, typed
    return body or None, typed


def _merge_target(messages: list[Message], index: int | None) -> Message | None:
    """The assistant message at `index` when only its own tool results follow it (so calls of
    the same API message written after some of its results still join it)."""
    if index is None or not all(m.role == "tool" for m in messages[index + 1 :]):
        return None
    return messages[index]


def _to_messages(
    thread: list[tuple[int, dict[str, Any]]], warn: Warn, counts: _Counts, marks: dict[str, Any] | None = None
) -> list[Message]:
    """The thread as OpenAI messages. `marks` learns where the last interruption came
    ("interrupted_at": the number of messages before it) and the subagents Task calls started.
    A slash command becomes the prompt the model was given: its expansion, or what was typed
    after the command when no expansion was written."""
    marks = {} if marks is None else marks
    messages: list[Message] = []
    tool_names: dict[str, str] = {}
    last_msg_id: str | None = None
    reply_at: dict[str, int] = {}  # API message id -> index of its assistant message
    command: dict[str, Any] | None = None  # the slash command whose prompt is still to come
    for lineno, entry in thread:
        msg = entry["message"]
        content = msg["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if entry["type"] == "assistant":
            text, calls = [], []
            for block in blocks:
                kind = block.get("type")
                if kind == "text":
                    if str(block.get("text", "")).strip():
                        text.append(str(block["text"]))
                elif kind in ("thinking", "redacted_thinking"):
                    counts.bump("thinking")
                elif kind == "tool_use":
                    if (
                        not isinstance(block.get("id"), str)
                        or not isinstance(block.get("name"), str)
                        or not isinstance(block.get("input", {}), dict)
                    ):
                        warn(lineno, "wrong schema: tool_use block without id, name or object input")
                        continue
                    tool_names[block["id"]] = block["name"]
                    calls.append(ToolCall(block["id"], block["name"], dict(as_dict(block.get("input")))))
                elif kind == "image":
                    counts.bump("images")
                else:
                    counts.bump("unknown_blocks")
            msg_id = msg.get("id")
            if not text and not calls:  # e.g. a thinking-only entry
                last_msg_id = msg_id
                continue
            if command is not None and command["typed"]:
                messages.append(Message("user", command["typed"]))
            command = None
            prev = messages[-1] if messages else None
            same_reply = _merge_target(messages, reply_at.get(msg_id)) if msg_id else None
            if prev is not None and prev.role == "assistant" and (msg_id == last_msg_id or not msg_id):
                same_reply = prev  # the next content block of the same API message
            if same_reply is not None:
                same_reply.content = "\n\n".join(p for p in (same_reply.content, *text) if p)
                same_reply.tool_calls.extend(calls)
            else:
                messages.append(Message("assistant", "\n\n".join(text), calls))
                if msg_id:
                    reply_at[msg_id] = len(messages) - 1
            last_msg_id = msg_id
            continue
        last_msg_id = None
        if entry.get("isCompactSummary"):  # the summary a compaction wrote; the thread goes on past it
            counts.bump("compact_summaries")
            continue
        if entry.get("isMeta"):
            expansion = "\n\n".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text").strip()
            if command is not None and entry.get("parentUuid") == command["uuid"] and expansion:
                messages.append(Message("user", expansion))
                counts.bump("slash_commands")
                command = None
            elif expansion.startswith(HOOK_FEEDBACK) and messages and messages[-1].role == "assistant":
                messages.append(Message("user", expansion))  # what the model's next reply answers
                counts.bump("hook_feedback")
            else:
                counts.bump("meta_entries")
            continue
        result = entry.get("toolUseResult")
        if isinstance(result, dict) and isinstance(result.get("agentId"), str):
            marks.setdefault("subagents", []).append(result["agentId"])
        user_text = []
        for block in blocks:
            kind = block.get("type")
            if kind == "tool_result":
                call_id = block.get("tool_use_id")
                if call_id not in tool_names:
                    counts.bump("orphan_tool_results")  # its call is off the main thread
                    continue
                if block.get("is_error"):
                    counts.bump("tool_errors")
                messages.append(
                    Message(
                        "tool",
                        _result_text(block.get("content"), counts),
                        tool_call_id=call_id,
                        name=tool_names[call_id],
                    )
                )
            elif kind == "text":
                said = str(block.get("text", ""))
                if "<command-name>" in said and HARNESS_TEXT.match(said):
                    expanded, typed = _command_prompt(said)
                    if expanded:
                        user_text.append(expanded)
                        counts.bump("slash_commands")
                    else:
                        command = {"uuid": entry.get("uuid"), "typed": typed}
                elif said.lstrip().startswith("<task-notification>") and messages and messages[-1].role == "assistant":
                    user_text.append(said)  # a background task ended: the model's next reply answers it
                    counts.bump("task_notifications")
                elif HARNESS_TEXT.match(said):
                    counts.bump("meta_entries")
                    if "[Request interrupted by user" in said:
                        counts.bump("interruptions")  # read by the `aborted` outcome rule
                        marks["interrupted_at"] = len(messages)
                elif said.strip():
                    user_text.append(said)
                    command = None
            elif kind == "image":
                counts.bump("images")
            else:
                counts.bump("unknown_blocks")
        if user_text:
            messages.append(Message("user", "\n\n".join(user_text)))
    return messages


def _inline_agents(
    entries: list[tuple[int, dict[str, Any]]], by_uuid: dict[str, tuple[int, dict]]
) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Claude Code 1.0.x wrote each Task subagent's entries into the session file itself,
    marked isSidechain, its first entry with no parent: those entries by the root they hang off."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for n, e in entries:
        if not e.get("isSidechain") or e.get("type") not in MESSAGE_TYPES:
            continue
        node, hops = e, 0
        while isinstance(node.get("parentUuid"), str) and node["parentUuid"] in by_uuid and hops < len(entries):
            node, hops = by_uuid[node["parentUuid"]][1], hops + 1
        groups.setdefault(str(node.get("uuid")), []).append((n, e))
    return groups


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    entries: list[tuple[int, dict[str, Any]]] = []
    by_uuid: dict[str, tuple[int, dict[str, Any]]] = {}
    counts = _Counts()
    for lineno, obj in iter_jsonl(path, warn):
        kind = obj.get("type")
        if kind in MESSAGE_TYPES:
            why = _valid_entry(obj)
            if why:
                warn(lineno, why)
                continue
        elif kind in QUIET_TYPES:
            counts.bump("quiet_entries")
        elif not isinstance(kind, str):
            warn(lineno, "not a Claude Code entry (no type), skipped")
            continue
        else:
            counts.bump("unknown_entries")  # a newer Claude Code entry type; nothing to learn from
        if isinstance(obj.get("uuid"), str):
            by_uuid[obj["uuid"]] = (lineno, obj)
        entries.append((lineno, obj))
    message_entries = [e for _, e in entries if e.get("type") in MESSAGE_TYPES]
    sidechain = sum(1 for e in message_entries if e.get("isSidechain"))
    subagent_file = bool(message_entries) and sidechain == len(message_entries)
    if sidechain and not subagent_file:
        counts.bump("sidechain_entries", sidechain)
    agent_id = next((e["agentId"] for e in message_entries if isinstance(e.get("agentId"), str)), None)
    if subagent_file and (agent_id or path.stem.removeprefix("agent-")).startswith("acompact"):
        # the agent a compaction runs: it summarises a conversation that is not in its file
        warn(1, "a compaction's own file (it summarises a session that is kept elsewhere): skipped")
        return
    thread = _main_thread(entries, by_uuid, sidechain=subagent_file)
    on_thread = {id(e) for _, e in thread}
    off = sum(1 for e in message_entries if bool(e.get("isSidechain")) == subagent_file and id(e) not in on_thread)
    if off:
        counts.bump("off_thread_entries", off)
    main = _conversation(path, thread, warn, counts, subagent_file)
    if main is not None:
        yield main
    elif message_entries:
        warn(
            entries[0][0],
            f"no prompt and reply on the session's thread ({len(message_entries)} message entries): session skipped",
        )
    if sidechain and not subagent_file:
        parent_id = main.id if main is not None else path.stem
        for root, group in _inline_agents(entries, by_uuid).items():
            sub = _conversation(
                path, _main_thread(group, by_uuid, sidechain=True), warn, _Counts(), True, (parent_id, root[:8])
            )
            if sub is not None:
                yield sub


def _conversation(
    path: Path,
    thread: list[tuple[int, dict[str, Any]]],
    warn: Warn,
    counts: _Counts,
    subagent: bool,
    inline: tuple[str, str] | None = None,
) -> Conversation | None:
    """One thread as a Conversation (None without a prompt and a reply). `inline`: (parent
    session, agent id) of a subagent written into its parent's file."""
    marks: dict[str, Any] = {}
    messages = _to_messages(thread, warn, counts, marks)
    if not any(m.role == "user" for m in messages) or not any(m.role == "assistant" for m in messages):
        return None
    first = thread[0][1]
    session_ids = sorted({e["sessionId"] for _, e in thread if isinstance(e.get("sessionId"), str)})
    conv_id = path.stem if path.stem in session_ids else (first.get("sessionId") or path.stem)
    agent_id = next((e["agentId"] for _, e in thread if isinstance(e.get("agentId"), str)), None)
    parent_session = first.get("sessionId")
    if inline is not None:
        parent_session, agent_id = inline
        conv_id = f"{parent_session}/agent-{agent_id}"
    elif subagent:
        agent_id = agent_id or path.stem.removeprefix("agent-")
        conv_id = f"{first.get('sessionId') or path.parent.name}/agent-{agent_id}"
    cwd = next((e["cwd"] for _, e in thread if isinstance(e.get("cwd"), str)), None)
    branches = [e["gitBranch"] for _, e in thread if isinstance(e.get("gitBranch"), str) and e["gitBranch"]]
    model = next((e["message"].get("model") for _, e in thread if e["type"] == "assistant"), None)
    role, where = role_from_cwd(cwd)
    last_reply = next((e for _, e in reversed(thread) if e["type"] == "assistant"), None)
    stop = last_reply["message"].get("stop_reason") if last_reply else None
    project = path.parent
    if project.name == "subagents":  # <project>/<sessionId>/subagents/agent-*.jsonl
        project = project.parent.parent
    metadata: dict[str, Any] = {
        "format": "claude_code",
        "cwd": cwd,
        "git_branch": branches[-1] if branches else None,
        "version": first.get("version"),
        "model": model,
        "started_at": first.get("timestamp"),
        **where,
        "project_dir": project.name if project.name.startswith("-") else None,
        "stop_reason": stop if isinstance(stop, str) else None,
        "counts": dict(sorted(counts.items())),
    }
    interrupted_at = marks.get("interrupted_at")
    if interrupted_at is not None and not any(m.role == "assistant" for m in messages[interrupted_at:]):
        metadata["ended_by"] = "interrupt"
    if subagent:
        metadata.update(subagent=True, agent_id=agent_id, parent_session=parent_session)
    elif marks.get("subagents"):
        metadata["subagents"] = sorted(set(marks["subagents"]))
    if len(session_ids) > 1:
        metadata["session_ids"] = session_ids
    conv = Conversation(
        id=str(conv_id),
        messages=messages,
        source=SourceRef(str(path), thread[0][0]),
        agent_role=role,
        task=task_from_tools(messages),
        metadata=metadata,
    )
    conv.tools = tools_for(conv)
    return conv


READER = register(
    Reader("claude_code", (".jsonl",), detect, read, "Claude Code session transcripts (~/.claude/projects/*/*.jsonl)")
)
