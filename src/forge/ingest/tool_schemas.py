"""OpenAI tool schemas for the tools a conversation used.

Known tools (Claude Code and Gemini CLI built-ins, the beads MCP server) get their published
parameter lists; anything else gets a schema inferred from the arguments it was actually called
with. A known tool called with keys its list lacks (another version of the agent named them
differently) gets those keys added, and a listed required key that some call left out is no
longer required: the schema a model is shown always admits the calls it learns from.
Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from forge.records import Conversation


def _fn(name: str, description: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props, "required": required},
        },
    }


S = {"type": "string"}
INT = {"type": "integer"}
B = {"type": "boolean"}
STR_LIST = {"type": "array", "items": {"type": "string"}}
ISSUE_TYPE = {"type": "string", "enum": ["bug", "feature", "task", "epic", "chore"]}
STATUS = {"type": "string", "enum": ["open", "in_progress", "blocked", "closed"]}
PRIORITY = {"type": "integer", "minimum": 0, "maximum": 4}

KNOWN_TOOLS: dict[str, dict[str, Any]] = {
    t["function"]["name"]: t
    for t in [
        _fn(
            "Bash",
            "Run a shell command.",
            {"command": S, "description": S, "timeout": INT, "run_in_background": B},
            ["command"],
        ),
        _fn(
            "Read",
            "Read a file from the local filesystem.",
            {"file_path": S, "offset": INT, "limit": INT},
            ["file_path"],
        ),
        _fn("Write", "Write a file to the local filesystem.", {"file_path": S, "content": S}, ["file_path", "content"]),
        _fn(
            "Edit",
            "Replace an exact string in a file.",
            {"file_path": S, "old_string": S, "new_string": S, "replace_all": B},
            ["file_path", "old_string", "new_string"],
        ),
        _fn(
            "MultiEdit",
            "Make several edits to one file.",
            {"file_path": S, "edits": {"type": "array", "items": {"type": "object"}}},
            ["file_path", "edits"],
        ),
        _fn("Glob", "Find files by glob pattern.", {"pattern": S, "path": S}, ["pattern"]),
        _fn(
            "Grep",
            "Search file contents with a regular expression.",
            {
                "pattern": S,
                "path": S,
                "glob": S,
                "type": S,
                "output_mode": S,
                "-i": B,
                "-n": B,
                "-A": INT,
                "-B": INT,
                "-C": INT,
                "multiline": B,
                "head_limit": INT,
            },
            ["pattern"],
        ),
        _fn("LS", "List a directory.", {"path": S, "ignore": STR_LIST}, ["path"]),
        _fn(
            "Task",
            "Launch a sub-agent for a task.",
            {"description": S, "prompt": S, "subagent_type": S},
            ["description", "prompt"],
        ),
        _fn(
            "TodoWrite",
            "Update the session's todo list.",
            {"todos": {"type": "array", "items": {"type": "object"}}},
            ["todos"],
        ),
        _fn("WebFetch", "Fetch a URL and answer a prompt about it.", {"url": S, "prompt": S}, ["url", "prompt"]),
        _fn("WebSearch", "Search the web.", {"query": S}, ["query"]),
        _fn(
            "NotebookEdit",
            "Edit a Jupyter notebook cell.",
            {"notebook_path": S, "cell_id": S, "new_source": S, "cell_type": S, "edit_mode": S},
            ["notebook_path", "new_source"],
        ),
        _fn(
            "mcp__beads__create",
            "Create a bead (issue): bug, feature, task, epic or chore.",
            {
                "title": S,
                "description": S,
                "design": S,
                "acceptance": S,
                "external_ref": S,
                "priority": PRIORITY,
                "issue_type": ISSUE_TYPE,
                "assignee": S,
                "labels": STR_LIST,
                "id": S,
                "deps": STR_LIST,
            },
            ["title"],
        ),
        _fn(
            "mcp__beads__update",
            "Update a bead's status, priority, assignee or text.",
            {
                "issue_id": S,
                "status": STATUS,
                "priority": PRIORITY,
                "assignee": S,
                "title": S,
                "description": S,
                "design": S,
                "acceptance_criteria": S,
                "notes": S,
                "external_ref": S,
            },
            ["issue_id"],
        ),
        _fn("mcp__beads__close", "Close (complete) a bead.", {"issue_id": S, "reason": S}, ["issue_id"]),
        _fn("mcp__beads__reopen", "Reopen closed beads.", {"issue_ids": STR_LIST, "reason": S}, ["issue_ids"]),
        _fn("mcp__beads__show", "Show a bead with its dependencies.", {"issue_id": S}, ["issue_id"]),
        _fn(
            "mcp__beads__list",
            "List beads with filters.",
            {"status": STATUS, "priority": PRIORITY, "issue_type": ISSUE_TYPE, "assignee": S, "limit": INT},
            [],
        ),
        _fn(
            "mcp__beads__ready", "List beads with no blockers.", {"limit": INT, "priority": PRIORITY, "assignee": S}, []
        ),
        _fn(
            "mcp__beads__dep",
            "Add a dependency between beads.",
            {
                "issue_id": S,
                "depends_on_id": S,
                "dep_type": {"type": "string", "enum": ["blocks", "related", "parent-child", "discovered-from"]},
            },
            ["issue_id", "depends_on_id"],
        ),
        _fn("mcp__beads__blocked", "List blocked beads.", {}, []),
        _fn("mcp__beads__stats", "Bead statistics.", {}, []),
        # Gemini CLI built-ins, as its 0.2x-0.5x releases declare them
        _fn(
            "run_shell_command",
            "Run a shell command.",
            {"command": S, "description": S, "dir_path": S, "is_background": B},
            ["command"],
        ),
        _fn("read_file", "Read a file.", {"file_path": S, "start_line": INT, "end_line": INT}, ["file_path"]),
        _fn("write_file", "Write a file.", {"file_path": S, "content": S}, ["file_path", "content"]),
        _fn(
            "replace",
            "Replace text in a file.",
            {"file_path": S, "instruction": S, "old_string": S, "new_string": S, "allow_multiple": B},
            ["file_path", "old_string", "new_string"],
        ),
        _fn("glob", "Find files by glob pattern.", {"pattern": S, "dir_path": S, "case_sensitive": B}, ["pattern"]),
        _fn(
            "grep_search",
            "Search file contents with a regular expression.",
            {"pattern": S, "dir_path": S, "include_pattern": S},
            ["pattern"],
        ),
        _fn(
            "search_file_content",
            "Search file contents with a regular expression.",
            {"pattern": S, "dir_path": S, "include": S},
            ["pattern"],
        ),
        _fn("list_directory", "List a directory.", {"dir_path": S, "ignore": STR_LIST}, ["dir_path"]),
        _fn("google_web_search", "Search the web.", {"query": S}, ["query"]),
        _fn("web_fetch", "Fetch and read web pages named in the prompt.", {"prompt": S}, ["prompt"]),
        _fn("read_many_files", "Read several files.", {"include": STR_LIST, "exclude": STR_LIST}, ["include"]),
        _fn(
            "write_todos", "Write the todo list.", {"todos": {"type": "array", "items": {"type": "object"}}}, ["todos"]
        ),
        _fn("save_memory", "Remember a fact across sessions.", {"fact": S}, ["fact"]),
    ]
}


def json_type(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array"}
    if isinstance(value, dict):
        return {"type": "object"}
    return {}


def infer_schema(name: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Schema from observed arguments: each key's type, required when every call passed it."""
    props: dict[str, dict[str, Any]] = {}
    for args in calls:
        for key, value in args.items():
            seen = props.setdefault(key, json_type(value))
            if seen and seen != json_type(value):
                props[key] = {}  # mixed types: leave it open
    required = [k for k in props if all(k in a for a in calls)]
    return _fn(name, f"{name} (schema inferred from observed calls)", props, required)


def fitted(known: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """A known schema that admits `calls`: keys it lacks added (typed as observed), required
    keys some call left out made optional. Unchanged when every call fits it."""
    params = known["function"]["parameters"]
    props, required = params["properties"], params["required"]
    extra = infer_schema("", [{k: v for k, v in a.items() if k not in props} for a in calls])
    extra_props = extra["function"]["parameters"]["properties"]
    keep = [k for k in required if all(k in a for a in calls)]
    if not extra_props and keep == required:
        return known
    fn = known["function"]
    return _fn(fn["name"], fn["description"], {**props, **extra_props}, keep)


def tools_for(conv: Conversation) -> list[dict[str, Any]]:
    """The schemas of the tools `conv` called, in order of first use."""
    calls: dict[str, list[dict[str, Any]]] = {}
    for msg in conv.messages:
        for call in msg.tool_calls:
            calls.setdefault(call.name, []).append(call.arguments)
    return [
        fitted(KNOWN_TOOLS[name], args) if name in KNOWN_TOOLS else infer_schema(name, args)
        for name, args in calls.items()
    ]
