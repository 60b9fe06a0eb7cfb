"""Export stage: GGUF artifact → Ollama package (Modelfile + the GGUF it names).

The Modelfile carries the model's own chat template (forge.models.chat_format.CHAT_TEMPLATE, Jinja)
translated by hand to Ollama's Go template language: ChatML turns, the tools block in the
system turn, `<tool_call>` blocks for the assistant's calls and `<tool_response>` turns, so
Ollama prompts the model exactly as it was trained and finds its tool calls. When an `ollama`
binary is on PATH the package is also created (`ollama create`) and answers a test prompt;
otherwise the artifact records a skip line saying so.

Tools are listed compactly (chat_format.TOOL_SIGNATURE), the arguments in the schema's order:
Ollama keeps tool properties in declaration order and ranges over them through
`.Properties.All` (Ollama releases built with Go 1.24 or later, whose templates range over
iterator functions). Known, documented differences from HF's rendering: Ollama writes call
arguments and a property's list of types (["string", "null"]) compactly, as Go's encoding/json
does, where HF's `tojson` puts a space after `:` and `,`; and Ollama merges consecutive messages
of the same role.
Call arguments that arrive as a JSON string (OpenAI style) render identically on both sides.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore, artifact_id
from forge.errors import ForgeError, InputError
from forge.models.chat_format import (
    BOS_EOS,
    IM_END,
    IM_START,
    TOOL_CALL_CLOSE,
    TOOL_CALL_OPEN,
    TOOL_RESPONSE_CLOSE,
    TOOL_RESPONSE_OPEN,
    TOOLS_POSTAMBLE,
    TOOLS_PREAMBLE,
)
from forge.progress import NULL_PROGRESS, Progress

KIND = "ollama"
STOP_TOKENS = (IM_END, BOS_EOS)
TEST_PROMPT = "List the files in the current directory."

# Each piece mirrors one branch of CHAT_TEMPLATE; "\n" is written out so nothing depends on
# Go's whitespace trimming.
OLLAMA_TEMPLATE = (
    "{{ if .Tools }}" + IM_START + "system\n"
    "{{ if .System }}{{ .System }}\n\n{{ end }}"
    + TOOLS_PREAMBLE
    + '{{ range .Tools }}\n{"name": "{{ .Function.Name }}", "arguments": {{ "{" }}'
    "{{ $req := .Function.Parameters.Required }}{{ $first := true }}"
    "{{ range $k, $v := .Function.Parameters.Properties.All }}{{ if not $first }}, {{ end }}{{ $first = false }}"
    '"{{ $k }}{{ $in := false }}{{ range $req }}{{ if eq . $k }}{{ $in = true }}{{ end }}{{ end }}'
    '{{ if not $in }}?{{ end }}": {{ if $v.Type }}{{ json $v.Type }}{{ else }}"any"{{ end }}{{ end }}{{ "}" }}'
    '{{ if .Function.Description }}, "description": "{{ .Function.Description }}"{{ end }}}{{ end }}\n'
    + TOOLS_POSTAMBLE
    + IM_END
    + "\n"
    "{{ else if .System }}" + IM_START + "system\n{{ .System }}" + IM_END + "\n{{ end }}"
    '{{ $last := "" }}'
    "{{ range $i, $m := .Messages }}{{ $last = .Role }}"
    '{{ if eq .Role "assistant" }}' + IM_START + "assistant\n{{ .Content }}"
    "{{ range $j, $c := .ToolCalls }}{{ if or $m.Content $j }}\n{{ end }}"
    + TOOL_CALL_OPEN
    + '\n{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}\n'
    + TOOL_CALL_CLOSE
    + "{{ end }}"
    + IM_END
    + "\n"
    '{{ else if eq .Role "tool" }}'
    + IM_START
    + "tool\n"
    + TOOL_RESPONSE_OPEN
    + "\n{{ .Content }}\n"
    + TOOL_RESPONSE_CLOSE
    + IM_END
    + "\n"
    '{{ else if ne .Role "system" }}' + IM_START + "{{ .Role }}\n{{ .Content }}" + IM_END + "\n"
    "{{ end }}{{ end }}"
    '{{ if ne $last "assistant" }}' + IM_START + "assistant\n{{ end }}"
)


@dataclass
class OllamaConfig:
    name: str = "forge-model"  # the Ollama model name for `ollama create`
    temperature: float = 0.0  # agents want deterministic tool calls
    num_ctx: int = 2048
    system: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)  # more PARAMETER lines
    create: bool = True  # run `ollama create` when the binary exists

    def problems(self) -> list[str]:
        out = []
        if not self.name or any(c.isspace() for c in self.name):
            out.append(f"'name': a model name without spaces, got {self.name!r}")
        if self.num_ctx < 1:
            out.append(f"'num_ctx': must be at least 1, got {self.num_ctx}")
        return out


def _quote(text: str) -> str:
    """A Modelfile value in triple quotes (the template and system prompt span lines)."""
    if '"""' in text:
        raise InputError('a Modelfile value cannot contain """')
    return f'"""{text}"""'


def modelfile_text(gguf_name: str, config: OllamaConfig) -> str:
    lines = [f"FROM ./{gguf_name}", f"TEMPLATE {_quote(OLLAMA_TEMPLATE)}"]
    if config.system:
        lines.append(f"SYSTEM {_quote(config.system)}")
    lines += [f'PARAMETER stop "{s}"' for s in STOP_TOKENS]
    params = {"temperature": config.temperature, "num_ctx": config.num_ctx, **config.parameters}
    lines += [f"PARAMETER {k} {v}" for k, v in params.items()]
    return "\n".join(lines) + "\n"


# ---- the data Ollama hands its template -------------------------------------------------------


def _arguments(value: Any) -> Any:
    if isinstance(value, str):  # OpenAI messages carry arguments as a JSON string
        try:
            return json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            return value
    return value


def ollama_values(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, system: str | None = None
) -> dict[str, Any]:
    """OpenAI-style messages → Ollama's template values: system messages joined into
    `.System` (and skipped by the template's loop), tool calls as {Function: {Name, Arguments}}."""
    systems = [m.get("content") or "" for m in messages if m.get("role") == "system"]
    out = []
    for m in messages:
        calls = []
        for c in m.get("tool_calls") or []:
            fn = c.get("function", c)
            calls.append({"Function": {"Name": fn["name"], "Arguments": _arguments(fn.get("arguments", {}))}})
        out.append({"Role": m.get("role"), "Content": m.get("content") or "", "ToolCalls": calls})
    return {"System": "\n\n".join(systems) if systems else (system or ""), "Messages": out, "Tools": list(tools or [])}


def render_like_ollama(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> str:
    from forge.export.gotemplate import render

    return render(OLLAMA_TEMPLATE, ollama_values(messages, tools))


# ---- the stage --------------------------------------------------------------------------------


def run_ollama_export(
    store: ArtifactStore, gguf: Artifact, config: OllamaConfig | None = None, progress: Progress = NULL_PROGRESS
) -> Artifact:
    """Modelfile + GGUF in one artifact; `ollama create` and a test prompt when possible."""
    from forge.export.gguf import KIND as GGUF_KIND
    from forge.export.gguf import open_gguf

    config = config or OllamaConfig()
    if problems := config.problems():
        raise InputError("bad Ollama export config: " + "; ".join(problems))
    if gguf.kind != GGUF_KIND:
        raise InputError(f"{gguf.id} is a {gguf.kind} artifact; Ollama needs a GGUF export", path=str(gguf.path))
    aid = artifact_id(KIND, asdict(config), [gguf.id])
    if (done := store.existing(KIND, aid)) is not None:
        return done
    source = open_gguf(gguf)  # hashes checked before the file is packaged
    with store.staged(KIND) as staging:
        task = progress.task("ollama", total=2)
        target = staging / source.name
        try:
            os.link(source, target)  # same filesystem: no copy of a multi-GB file
        except OSError:
            shutil.copy2(source, target)
        (staging / "Modelfile").write_text(modelfile_text(source.name, config))
        task.advance(1)
        status = (
            _ollama_create(staging, config)
            if config.create
            else {"created": False, "skipped": "ollama create disabled in the config"}
        )
        if status.get("skipped"):
            progress.log(f"ollama: skipped — {status['skipped']}")
        (staging / "ollama.json").write_text(json.dumps(status, indent=2))
        task.advance(1)
        task.done()
        return store.commit(
            staging,
            kind=KIND,
            aid=aid,
            config=asdict(config),
            inputs=[gguf],
            extra={"file": source.name, "ollama_name": config.name, "created": status.get("created", False)},
        )


def _ollama_create(folder: Path, config: OllamaConfig) -> dict[str, Any]:
    binary = shutil.which("ollama")
    if binary is None:
        return {
            "created": False,
            "skipped": "no `ollama` binary on PATH; where Ollama is installed, run "
            f"`ollama create {config.name} -f Modelfile` in this artifact's directory",
        }
    t0 = time.monotonic()
    made = subprocess.run(
        [binary, "create", config.name, "-f", "Modelfile"], cwd=folder, capture_output=True, text=True, timeout=600
    )
    if made.returncode != 0:
        raise ForgeError(f"`ollama create {config.name}` failed: {made.stderr.strip()[-400:]}")
    ran = subprocess.run([binary, "run", config.name, TEST_PROMPT], capture_output=True, text=True, timeout=300)
    if ran.returncode != 0:
        raise ForgeError(f"`ollama run {config.name}` failed: {ran.stderr.strip()[-400:]}")
    return {
        "created": True,
        "seconds": round(time.monotonic() - t0, 1),
        "test_prompt": TEST_PROMPT,
        "test_reply": ran.stdout.strip()[:2000],
    }
