"""Reader for Gemini CLI chat sessions (~/.gemini/tmp/<project>/chats/session-*.json and .jsonl).

A session is a ConversationRecord: {sessionId, projectHash, startTime, lastUpdated, messages,
kind?, directories?, summary?}. Files before Gemini CLI 0.39 hold it as one JSON object,
rewritten on every update. From 0.39 it is a JSON Lines log, replayed as Gemini CLI replays it:
  {sessionId, projectHash, ...}   metadata (the first line; a `messages` list there is loaded too)
  {id, type, content, ...}        a message; a later line with the same id replaces it in place
  {"$set": {...}}                 metadata patch; a `messages` list in it replaces every message
  {"$rewindTo": id}               drops that message and all after it (all of them if id is unknown)
A `.jsonl` file that holds one JSON object after all (a copy saved under another name) is read
whole. A `.json` session that Gemini CLI migrated on resume has a `.jsonl` sibling holding the
same session and more; the `.json` is then skipped with a warning naming the newer copy.

Messages: `user` (content: text or parts; parts that only return tool results, written since
0.44, repeat `toolCalls[].result` and are skipped, as are the `<session_context>` and
`<hook_context>` texts the CLI injects and `/` or `?` commands it handles itself); `gemini` (the
reply text, then `toolCalls` [{id, name, args, result: [{functionResponse: {response: {output |
error}}}], status, resultDisplay}] in one assistant turn, each answered by a tool message);
`info`, `error`, `warning` are the CLI's notices: counted, not kept. Two replies in a row, the
first without a call, had the CLI's unrecorded "Please continue." between them: it is put back. A subagent's session
(`kind: subagent`, in chats/<parent session id>/) names its parent in `parent_session`, so it
links to the parent's bead and outcome as the parent does. The working folder (and so the Gas
Town role) is the record's `directories`, else the project's `.project_root` marker beside
chats/. `thoughts` are dropped and counted. A call whose status is error or cancelled returns
"error: ..." as its result.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.classify import role_from_cwd
from forge.ingest.openai_chat import Counts, classify_task, has_dialogue, load_json
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import tools_for
from forge.jsonl import as_dict, iter_jsonl
from forge.records import Conversation, Message, SourceRef, ToolCall

MESSAGE_TYPES = ("user", "gemini", "info", "error", "warning")
# When a reply ends without a call and the CLI's next-speaker check judges the model should go on,
# the CLI sends this as a user turn and records only the next reply (two replies in a row)
CONTINUE = "Please continue."
NOTICES = ("info", "error", "warning")
INJECTED = ("<session_context>", "<hook_context>")
FAILED = ("error", "cancelled")
# what the CLI handles itself: /stats, /chat save x, ? (help); not a prompt that opens with a path
CLI_COMMAND = re.compile(r"\s*(?:/[A-Za-z][\w-]*|\?)(?:\s|$)")


def is_gemini_head(head: bytes) -> bool:
    """Whether a file starts as a Gemini CLI session: the log's metadata line, or one object (as
    the CLI writes it, pretty-printed) whose first keys are the session's id and project hash."""
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    first = head.split(b"\n", 1)[0]
    if b'"sessionId"' in first and b'"projectHash"' in first:
        return first.startswith(b"{")
    if first.strip() != b"{":
        return False
    start = b"".join(line.strip() for line in head.split(b"\n")[1:4]).replace(b" ", b"")
    return start.startswith((b'"sessionId":', b'"projectHash":')) and b'"projectHash":' in start


def detect(path: Path, head: bytes) -> bool:
    return path.suffix in (".json", ".jsonl") and is_gemini_head(head)


def _parts_text(content: Any, counts: Counts) -> str:
    """The text of a message's content: a string, or Part objects ({text}, {functionCall},
    {functionResponse}, {inlineData}); only text parts are kept."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    texts = []
    for part in content if isinstance(content, list) else []:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            if part.get("thought"):  # a thought summary sent as a text part
                counts.bump("thinking")
            else:
                texts.append(part["text"])
        elif isinstance(part, dict) and "inlineData" in part:
            counts.bump("images")
    return "\n".join(t for t in texts if t)


def _only_tool_results(content: Any) -> bool:
    parts = content if isinstance(content, list) else [content]
    return bool(parts) and all(isinstance(p, dict) and "functionResponse" in p for p in parts)


def _result_text(call: dict[str, Any]) -> str:
    """What the tool returned to the model: the functionResponse's output (or error), else the
    text the CLI displayed."""
    outputs = []
    result = call.get("result")
    for part in result if isinstance(result, list) else [result]:
        response = as_dict(as_dict(as_dict(part).get("functionResponse")).get("response"))
        if "output" in response:
            outputs.append(str(response["output"]))
        elif "error" in response:
            outputs.append(f"error: {response['error']}")
        elif isinstance(as_dict(part).get("text"), str):
            outputs.append(as_dict(part)["text"])
    if outputs:
        return "\n".join(outputs)
    shown = call.get("resultDisplay")
    return shown if isinstance(shown, str) else ""


class _Replay:
    """The session as Gemini CLI's loader rebuilds it from the log's lines."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self.messages: dict[str, tuple[int, dict[str, Any]]] = {}  # id -> (line, record), first-seen order

    def line(self, lineno: int, rec: dict[str, Any], warn: Warn) -> None:
        if isinstance(rec.get("$rewindTo"), str):
            ids = list(self.messages)
            cut = ids.index(rec["$rewindTo"]) if rec["$rewindTo"] in ids else 0
            for gone in ids[cut:]:
                del self.messages[gone]
        elif isinstance(rec.get("id"), str):
            if rec.get("type") not in MESSAGE_TYPES:
                warn(lineno, "wrong schema: message without a known type, skipped")
                return
            self.messages[rec["id"]] = (lineno, rec)  # a re-written message keeps its place
        elif isinstance(rec.get("$set"), dict):
            patch = dict(rec["$set"])
            if isinstance(patch.get("messages"), list):  # a checkpoint: the whole list again
                self.messages = {}
                self.load(lineno, patch.pop("messages"), warn)
            self.meta.update(patch)
        elif "sessionId" in rec and "projectHash" in rec:
            patch = dict(rec)
            if isinstance(patch.get("messages"), list):
                self.load(lineno, patch.pop("messages"), warn)
            self.meta.update(patch)
        elif any(isinstance(k, str) and k.startswith("$") for k in rec):
            pass  # a log operation this reader does not know: ignored, as the CLI ignores it
        else:
            warn(lineno, "not a Gemini CLI session record, skipped")

    def load(self, lineno: int, messages: list[Any], warn: Warn) -> None:
        for rec in messages:
            if isinstance(rec, dict) and isinstance(rec.get("id"), str) and rec.get("type") in MESSAGE_TYPES:
                self.messages[rec["id"]] = (lineno, rec)
            else:
                warn(lineno, "wrong schema: a message without an id or a known type, skipped")


def _replay(path: Path, warn: Warn) -> _Replay | None:
    replay = _Replay()
    if path.suffix == ".jsonl":
        held: list[tuple[int | None, str]] = []  # said only if the file is a log after all

        def hold(line: int | None, reason: str) -> None:
            held.append((line, reason))

        for lineno, rec in iter_jsonl(path, hold):
            replay.line(lineno, rec, hold)
        if "sessionId" in replay.meta or replay.messages:
            for line, why in held:
                warn(line, why)
            return replay
        replay = _Replay()
    loaded = load_json(path, warn)  # one object: before 0.39, or a log that is not one after all
    if loaded is None:
        return None
    doc = loaded[0]
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        warn(1, "wrong schema: a Gemini CLI session is an object with a messages list")
        return None
    replay.line(1, doc, warn)
    return replay


def _project_root(path: Path) -> str | None:
    """The folder the session ran in, from the marker Gemini CLI (0.29+) keeps in each project's
    folder: ~/.gemini/tmp/<project>/.project_root holds its path (chats/ sits beside it, a
    subagent's session one level further down)."""
    for folder in list(path.parents)[:3]:
        if folder.name == "chats":
            marker = folder.parent / ".project_root"
            try:
                with open(marker, encoding="utf-8") as f:
                    root = f.read(4096).strip()
            except (OSError, UnicodeDecodeError):
                return None
            return root if root.startswith(("/", "~")) or root[1:3] in (":\\", ":/") else None
    return None


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    if path.suffix == ".json" and path.with_suffix(".jsonl").is_file():
        warn(None, f"skipped: Gemini CLI copied this session to {path.stem}.jsonl on resume; that copy is read")
        return
    replay = _replay(path, warn)
    if replay is None:
        return
    counts = Counts()
    messages: list[Message] = []
    models: list[str] = []
    first_line = None
    for lineno, rec in replay.messages.values():
        first_line = first_line or lineno
        kind, content = rec.get("type"), rec.get("content")
        if kind in NOTICES:
            counts.bump(f"{kind}_notices")
        elif kind == "user":
            if _only_tool_results(content):
                counts.bump("tool_result_echoes")
                continue
            text = _parts_text(content, counts)
            if not text.strip():
                continue
            if text.lstrip().startswith(INJECTED) or CLI_COMMAND.match(text):
                counts.bump("cli_messages")
                continue
            messages.append(Message("user", text))
        else:
            model = rec.get("model")
            if isinstance(model, str) and model not in models:
                models.append(model)
            thoughts = rec.get("thoughts")
            if isinstance(thoughts, list) and thoughts:
                counts.bump("thinking", len(thoughts))
            calls = [c for c in rec.get("toolCalls") or [] if isinstance(c, dict) and isinstance(c.get("name"), str)]
            reply = Message("assistant", _parts_text(content, counts))
            results = []
            for n, call in enumerate(calls):
                call_id = str(call.get("id") or f"{rec['id']}-{n}")
                reply.tool_calls.append(ToolCall(call_id, call["name"], as_dict(call.get("args"))))
                text = _result_text(call)
                if call.get("status") in FAILED:
                    counts.bump("tool_errors")
                    text = text if text.startswith("error: ") else f"error: {call.get('status')}\n{text}".rstrip()
                results.append(Message("tool", text, tool_call_id=call_id, name=call["name"]))
            if reply.content.strip() or reply.tool_calls:
                if messages and messages[-1].role == "assistant" and not messages[-1].tool_calls:
                    messages.append(Message("user", CONTINUE))  # what the CLI sent, unrecorded
                    counts.bump("continue_prompts")
                messages += [reply, *results]
    if not has_dialogue(messages):
        warn(first_line or 1, "no dialogue: no user prompt with a Gemini reply; session skipped")
        return
    meta = replay.meta
    dirs = [d for d in meta.get("directories") or [] if isinstance(d, str)]
    cwd = dirs[0] if dirs else _project_root(path)
    role, where = role_from_cwd(cwd)
    metadata: dict[str, Any] = {
        "format": "gemini_cli",
        "cwd": cwd,
        "model": models[0] if models else None,
        "models": models,
        "kind": meta.get("kind") or "main",
        # a subagent's log lies in a folder named after the session that started it
        "parent_session": path.parent.name if meta.get("kind") == "subagent" else None,
        "project_hash": meta.get("projectHash"),
        "started_at": meta.get("startTime"),
        "ended_at": meta.get("lastUpdated"),
        **where,
        "counts": dict(sorted(counts.items())),
    }
    conv = Conversation(
        id=str(meta.get("sessionId") or path.stem),
        messages=messages,
        source=SourceRef(str(path), first_line or 1),
        agent_role=role,
        task=classify_task(messages),
        metadata=metadata,
    )
    conv.tools = tools_for(conv)
    yield conv


READER = register(
    Reader(
        "gemini_cli",
        (".json", ".jsonl"),
        detect,
        read,
        "Gemini CLI chat sessions (~/.gemini/tmp/*/chats/session-*.json, .jsonl)",
    )
)
