"""Secrets a command printed with nothing around them that says so.

Two kinds of command print one bare:
- generators make a fresh secret (`openssl rand -hex 32`, `wg genkey`, `python -c "import secrets;
  print(secrets.token_urlsafe(32))"`, `rails secret`): agents run them to fill a .env for the user;
- readers print a stored one (`op read op://...`, `pass show db`, `security find-generic-password
  -w`, `terraform output -raw db_password`, `kubectl get secret ... | base64 -d`, `echo $API_KEY`).

What they print has no key name and no provider prefix: a rule engine reads a hex or base64 line as
a digest or a blob, and a password as a word. Forge knows it by the command that printed it:
- in one text (a terminal capture, a log, an agent that prints a command above its output), the
  detectors `generated_secret` and `printed_secret` take the lines right after the command;
- across records (Claude Code's tool_use and its tool_result, Codex's function_call and its output,
  a conversation's call and its tool message), CommandOutputs links the call to its output by id.
The values found that way are then replaced wherever else they stand: the agent often repeats a
key it generated in its reply, or writes it into a file.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

from forge.scrub import validators as v
from forge.scrub.builtin import _add
from forge.scrub.gutters import GUTTER

GENERATED = "generated_secret"
PRINTED = "printed_secret"
WATCHED = (GENERATED, PRINTED)  # the detectors whose anchors say a text runs such a command
LINKED = "command_output"  # what the report counts a value replaced by linking under
KIND = "secret"

_W = r"[ \t]+"
_GENERATORS = (
    r"openssl" + _W + r"rand\b",
    r"\bwg" + _W + r"gen(?:key|psk)\b",
    r"\bsecrets\.token_(?:hex|urlsafe|bytes)\b",
    r"\bos\.urandom\(",
    r"\brandomBytes\(",
    r"/dev/u?random\b",
    r"\bpwgen\b",
    r"\bgpg" + _W + r"--gen-random\b",
    r"\b(?:rails|rake)" + _W + r"secret\b",
    r"\bphx\.gen\.secret\b",
    r"\bkey:generate" + _W + r"--show\b",
    r"\bget_random_secret_key\(",
    r"\bSecureRandom\.(?:hex|base64|urlsafe_base64|alphanumeric)\b",
)
_SECRET_VAR = r"[A-Z0-9_]{0,40}(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD)(?:_BASE)?\b"  # (Rails: SECRET_KEY_BASE)
# A reader's flag that makes it print the bare value (a reader without one prints a table or
# JSON, whose keys the other rules read)
_READERS = (
    r"\bsecurity" + _W + r"find-(?:generic|internet)-password\b[^\n]{0,200}?" + _W + r"-w\b",
    r"\b(?:go)?pass" + _W + r"show\b",
    r"\bop" + _W + r"read\b",
    r"\bbw" + _W + r"get" + _W + r"password\b",
    r"\bvault" + _W + r"(?:kv" + _W + r")?(?:read|get)\b[^\n]{0,200}?" + _W + r"-field[= ]",
    r"\bterraform" + _W + r"output" + _W + r"-raw\b",
    r"\baws"
    + _W
    + r"(?:secretsmanager|ssm)"
    + _W
    + r"get-(?:secret-value|parameters?)\b[^\n]{0,300}?--output[ \t=]+text\b",
    r"\baws" + _W + r"configure" + _W + r"get" + _W + r"(?:[\w\-]+\.)?aws_(?:secret_access_key|session_token)\b",
    r"\bkubectl" + _W + r"get" + _W + r"secrets?\b[^\n]{0,300}?\bbase64" + _W + r"(?:-d|--decode|-D)\b",
    r"\bdoppler" + _W + r"secrets" + _W + r"get\b[^\n]{0,200}?--plain\b",
    r"\bgcloud" + _W + r"secrets" + _W + r"versions" + _W + r"access\b",
    r"\baz" + _W + r"keyvault" + _W + r"secret" + _W + r"show\b[^\n]{0,200}?(?:-o|--output)" + _W + r"tsv\b",
    r"\bheroku" + _W + r"auth:token\b",
    r"\bargocd" + _W + r"admin" + _W + r"initial-password\b",
    # a CLI that prints a short-lived token for another tool: a registry login, an access token
    r"\baws" + _W + r"ecr(?:-public)?" + _W + r"get-login-password\b",
    r"\baws" + _W + r"codeartifact" + _W + r"get-authorization-token\b[^\n]{0,300}?--output[ \t=]+text\b",
    r"\bgcloud" + _W + r"auth" + _W + r"(?:application-default" + _W + r")?print-(?:access|identity)-token\b",
    r"\baz" + _W + r"account" + _W + r"get-access-token\b[^\n]{0,300}?(?:-o|--output)[ \t=]+tsv\b",
    r"\b(?:gh|glab|doctl|fly|flyctl)" + _W + r"auth" + _W + r"token\b",
    r"\boc" + _W + r"whoami" + _W + r"(?:-t|--show-token)\b",
    # password managers and secret stores asked for one value
    r"\bop" + _W + r"item" + _W + r"get\b[^\n]{0,200}?--fields?\b",
    r"\blpass" + _W + r"show\b[^\n]{0,200}?--password\b",
    r"\bsecret-tool" + _W + r"lookup\b",
    r"\bkeyring" + _W + r"get\b",
    r"\binfisical" + _W + r"secrets" + _W + r"get\b[^\n]{0,200}?--plain\b",
    r"\bchamber" + _W + r"read\b[^\n]{0,200}?" + _W + r"-q\b",
    r"\bakeyless" + _W + r"get-secret-value\b",
    # (a stack's config holds plain settings too: aws:region)
    r"\bpulumi" + _W + r"config" + _W + r"get" + _W + r"[\w:.\-]*(?i:passw|secret|token|key|credential)",
    r"\bdotenvx?" + _W + r"get" + _W + _SECRET_VAR,
    r"\bnpm" + _W + r"config" + _W + r"get" + _W + r"\S*:?_auth(?:Token)?\b",
    r"\bkubectl" + _W + r"get" + _W + r"secrets?\b[^\n]{0,300}?\bbase64decode\b",
    r"\bkubectl" + _W + r"view-secret\b",
    # an account key asked for as bare text: az storage account keys list --query [0].value -o tsv
    r"\baz" + _W + r"[^\n]{0,200}?\b(?:keys" + _W + r"list|list-keys)\b[^\n]{0,300}?(?:-o|--output)[ \t=]+tsv\b",
    r"\bopenstack" + _W + r"token" + _W + r"issue\b[^\n]{0,200}?-f" + _W + r"value\b",
    r"\bsops" + _W + r"(?:-d|--decrypt)\b[^\n]{0,200}?--extract\b",
    r"\b(?:printenv" + _W + r"|echo" + _W + r"\"?\$\{?)" + _SECRET_VAR,
    # a platform's variable by name: heroku config:get X_KEY, netlify env:get X_TOKEN
    r"\b(?:heroku" + _W + r"config:get|netlify" + _W + r"env:get)" + _W + _SECRET_VAR,
    # one line of code that prints a secret variable: python -c "print(os.environ['X_KEY'])"
    r"\bprint\(\s*os\.(?:environ\[|environ\.get\(|getenv\()\s*\\?[\"']" + _SECRET_VAR,
    r"\bconsole\.log\(\s*process\.env\." + _SECRET_VAR,
    # a file named for what it holds: cat /run/secrets/db_password, cat ~/.config/x/api_token,
    # cat config/master.key (Rails' key, 32 hex digits on one line)
    r"\bcat"
    + _W
    + r"[^\s|;&<>\\\"']*(?:(?i:secret|token|passw(?:or)?d|api[_-]?key|credential)|\.key(?![^\s\\]))"
    + r"[^\s|;&<>/\\\"']*(?![^\s\\])",
)
GENERATOR = re.compile("|".join(_GENERATORS))
READER = re.compile("|".join(_READERS))
_TOKEN = r"(?:base64:)?[A-Za-z0-9+/_\-]{16,512}={0,2}"  # (Laravel's key:generate writes base64:...)
_WORD = r"[^\s\"'`\\]{4,8192}"  # (a registry login's token runs to a few thousand characters)
_BREAK = r"(?:\r?\n|(?:\\r)?\\n)"
_SHORT = re.compile(r"[A-Za-z0-9+/_\-=!@#$%^&*.]{8,64}")


def random_enough(value: str) -> bool:
    """A generated value, not a word, a path or a number: letters and digits both (a random
    32-character hex value lacks one of them about once in three million) and 3 bits of entropy per character
    or more (random hex has about 3.8, base64 about 5); a value shorter than 16 characters, three
    in four of them different."""
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    n = len(value)
    if n < 16:  # (a short value cannot reach 3 bits: most of its characters differ instead)
        return len(set(value)) >= 0.75 * n
    return -sum(k / n * math.log2(k / n) for k in Counter(value).values()) >= 3.0


def generated_values(output: str) -> list[str]:
    """The values a generator's output shows: each line that is one random token (16 characters
    or more: hex, base64, URL-safe), or a row of shorter ones (pwgen prints many to a row)."""
    values: list[str] = []
    for line in output.splitlines()[:64]:
        parts = line.split()
        if len(parts) == 1 and re.fullmatch(_TOKEN, parts[0]):
            if random_enough(parts[0]):
                values.append(parts[0])
        elif 2 <= len(parts) <= 16 and all(_SHORT.fullmatch(p) for p in parts):
            values.extend(p for p in parts if random_enough(p))
    return values


def printed_values(output: str) -> list[str]:
    """The value a reader printed: its output's first line, when that is one word a password
    validator takes (an error message has spaces; null and a mask are not values)."""
    lines = output.strip().splitlines()
    if not lines or len(lines) > 8:
        return []
    value = lines[0].strip()
    return [value] if re.fullmatch(_WORD, value) and v.quoted_password(value) else []


# every generator holds one of these (a cheap test before the regex)
_GENERATOR_HINTS = ("rand", "Rand", "gen", "secret")
_INLINE_CODE = re.compile(r"(?:python3?|node|ruby|php)[ \t]+-[ce][ \t]+")
_MORE = re.compile(r"[;\n]|&&|\|\|")


def _kind(command: str) -> str | None:
    """ "generator" or "reader" for a command whose output holds a secret, else None. A
    generator's values are random, wherever in a script it runs; a reader's value is a word, so
    the command must be that reader alone (`op read x`, not a script whose first line of output
    is something else's), or one line of code that prints a secret variable."""
    if any(h in command for h in _GENERATOR_HINTS) and GENERATOR.search(command):
        return "generator"
    sole = command.strip().removeprefix("sudo ").lstrip()
    if READER.match(sole) and not _MORE.search(sole):
        return "reader"
    # one line of code (its ; are the code's): python -c "import os; print(os.environ['X_KEY'])"
    code = _INLINE_CODE.match(sole)
    if code is not None and "\n" not in sole and READER.search(sole, code.end()):
        return "reader"
    return None


def values_of(command: str, output: str) -> list[str]:
    """The secrets `output` holds, as the output of `command` (none when it runs neither kind)."""
    kind = _kind(command)
    if kind == "generator":
        return generated_values(output)
    return printed_values(output) if kind == "reader" else []


_COMMAND_KEYS = ("command", "cmd", "code", "script")


def command_of(arguments: Any) -> str:
    """The command a call ran: its `command` argument (a string, or an argv list as Codex writes
    it: bash -lc "..."; or the code a code-running tool ran), "" for a call that runs none (a
    file's edit: its text is not looked through for commands)."""
    if isinstance(arguments, str):
        if not arguments.lstrip().startswith("{"):
            return arguments
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return arguments
    if not isinstance(arguments, dict):
        return ""
    cmd = next((arguments[k] for k in _COMMAND_KEYS if k in arguments), None)
    if isinstance(cmd, str):
        return cmd
    if isinstance(cmd, list) and cmd and all(isinstance(c, str) for c in cmd):
        return cmd[-1] if len(cmd) >= 3 and cmd[-2] in ("-c", "-lc") else " ".join(cmd)
    return ""


class CommandOutputs:
    """What one file or conversation has shown so far: the calls that ran a generator or a
    reader (by id, with the command's text), and the values their outputs printed. A value that
    looks random is replaced wherever it stands (`values`); a word (a reader's `postgres`) only in
    the output that printed it (`local`, by call id): elsewhere the same word is just a word."""

    def __init__(self) -> None:
        self.calls: dict[str, str] = {}
        self.values: set[str] = set()
        self.local: dict[str, set[str]] = {}
        self._answered: set[str] = set()  # calls whose result the record being read holds

    def see_call(self, call_id: Any, arguments: Any) -> None:
        if not call_id or not isinstance(call_id, str):
            return
        if isinstance(arguments, dict) and not (
            "command" in arguments or "cmd" in arguments or "code" in arguments or "script" in arguments
        ):
            return  # (most calls: a file read or edit, a search; _COMMAND_KEYS, tested inline)
        command = command_of(arguments)
        if command and _kind(command) is not None:
            self.calls[call_id] = command

    def see_result(self, call_id: Any, output: str) -> None:
        command = self.calls.get(call_id) if isinstance(call_id, str) else None
        if command is None:
            return
        self._answered.add(call_id)
        output = _text_of(output)  # (past the heading an agent writes above a command's output)
        for value in values_of(command, output) if output else []:
            if len(value) >= 8 and random_enough(value):
                self.values.add(value)
            else:
                self.local.setdefault(call_id, set()).add(value)

    def see_json_lines(self, lines: list[str], commands: list[str]) -> dict[int, set[str]]:
        """Raw JSON lines of a transcript, in order: `commands`, the lines the scrubber saw run
        a generator or a reader; and the lines answering a call seen so far (by its id). Returns
        the words to replace in the line (by index) that printed them."""
        local: dict[int, set[str]] = {}
        if not commands and not self.calls:
            return local  # the usual block
        todo = set(commands)
        for i, line in enumerate(lines):
            if line in todo or (self.calls and any(c in line for c in self.calls)):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                self._walk(record, 0)
                for call_id in self._answered:  # a call is answered once: stop looking for it
                    self.calls.pop(call_id, None)
                    if call_id in self.local:
                        local.setdefault(i, set()).update(self.local.pop(call_id))
                self._answered.clear()
        return local

    def _walk(self, value: Any, depth: int) -> None:
        if depth > 12:
            return
        if isinstance(value, list):
            for item in value:
                self._walk(item, depth + 1)
            return
        if not isinstance(value, dict):
            return
        # a call: Claude Code's tool_use (id, input), Codex's function_call (call_id, arguments),
        # an OpenAI tool call (id, function.arguments), Gemini CLI's (id, args)
        call = next((key for key in ("input", "arguments", "args", "action", "function") if key in value), None)
        if call is not None and value.get("type") != "tool_result":
            self.see_call(value.get("call_id") or value.get("id"), value[call])
            answered = None
        else:
            # a result: Claude Code's tool_result (tool_use_id, content), Codex's output (call_id),
            # Gemini CLI's functionResponse (id, response.output)
            answered = value.get("tool_use_id") or value.get("tool_call_id") or value.get("call_id")
            if answered is None and "response" in value:
                answered = value.get("id")
        if isinstance(answered, str) and answered in self.calls:
            for key in ("content", "output", "response"):
                self.see_result(answered, _text_of(value.get(key)))
        for item in value.values():
            if isinstance(item, (dict, list)):
                self._walk(item, depth + 1)

    def replace(self, texts: list[str], local: dict[int, set[str]] | None = None) -> tuple[list[str], int]:
        """texts with every value found so far replaced by the placeholder (and the words in
        `local` in the text at their index), and how many were."""
        if not self.values and not local:
            return texts, 0
        out, count = [], 0
        for i, text in enumerate(texts):
            wanted = self.values | local[i] if local and i in local else self.values
            text, n = replace_values(text, wanted)
            out.append(text)
            count += n
        return out, count


def replace_values(text: str, values: set[str]) -> tuple[str, int]:
    """text with each of `values` replaced by the placeholder (longest first), and how many were."""
    count = 0
    for value in sorted(values, key=len, reverse=True):
        if value in text:
            count += text.count(value)
            text = text.replace(value, f"<SECRET:{KIND}>")
    return text, count


def _text_of(value: Any) -> str:
    """An output's text: a string (Codex's {"output": ...} held in a string read too), or a list
    of text blocks."""
    if isinstance(value, str):
        if value.lstrip().startswith("{"):
            try:
                inner = json.loads(value)
            except ValueError:
                return value
            if isinstance(inner, dict) and isinstance(inner.get("output"), str):
                return str(inner["output"])
        # Codex's exec_command heads its output with the chunk's id, time and exit code
        if value.startswith(("Chunk ID:", "Exit code:", "Wall time:")) and "\nOutput:\n" in value:
            return value.split("\nOutput:\n", 1)[1]
        # Gemini CLI's run_shell_command: Command:, Directory:, Output: <stdout>, Error:, Exit Code:
        if value.startswith("Command: ") and "\nOutput: " in value:
            return value.split("\nOutput: ", 1)[1].split("\nError: ", 1)[0]
        return value
    if isinstance(value, list):
        return "\n".join(b["text"] for b in value if isinstance(b, dict) and isinstance(b.get("text"), str))
    if isinstance(value, dict):  # Gemini CLI's response: {"output": ...}
        return _text_of(value.get("output"))
    return ""


def _generated_lines(span: str) -> bool:
    return all(random_enough(p) for p in re.split(_BREAK, span) if p)


def _anchor(patterns: tuple[str, ...]) -> str:
    """The patterns in the rule engine's syntax: no word boundaries or lookaheads."""
    return re.sub(r"\(\?[=!][^()]*\)", "", "|".join(patterns).replace(r"\b", ""))


# In one text: the command's line, then its output on the next line (past a gutter or one blank
# line); a generator's up to eight lines of it (openssl rand -base64 wraps at 64 characters)
_IN_LINE = r"(?:[^\n\\]|\\[^nr])"  # a character of the same line (not a break, raw or escaped)
_AFTER = _IN_LINE + r"{0,300}?" + _BREAK + r"(?:[ \t]*" + _BREAK + r")?" + GUTTER + r"?[ \t]*"
_add(
    GENERATED,
    KIND,
    r"(?:"
    + GENERATOR.pattern
    + r")"
    + _AFTER
    + rf"(?P<s>{_TOKEN}(?:{_BREAK}{_TOKEN}){{0,7}})(?=[ \t]*(?:{_BREAK}|\\?\"|$))",
    priority=75,
    prefilter=("rand", "Rand", "gen", "secret", "--show"),
    validator=_generated_lines,
    anchor=_anchor(_GENERATORS),
    window=(0, 4_700),
    description="what a generator printed: openssl rand, wg genkey, secrets.token_urlsafe, rails secret ...",
)
_add(
    PRINTED,
    KIND,
    # at a shell's prompt ($ op read ..., % pass show x): in a script, the next line is code
    r"(?<=[$%#>\u276f] )(?:"
    + _INLINE_CODE.pattern
    + _IN_LINE
    + r"{0,200}?)?(?:"
    + READER.pattern
    + r")"
    + _AFTER
    + rf"(?P<s>{_WORD})(?=[ \t]*(?:{_BREAK}|\\?\"|$))",
    priority=75,
    prefilter=("show", "read", "get", "-w", "-raw", "auth:", "--extract", "printenv", "echo", "print", "log(", "cat"),
    validator=v.quoted_password,
    anchor=_anchor(_READERS),
    window=(240, 900),  # (before: an inline script's head, python3 -c "import os; ...)
    description="what a reader printed: op read, pass show, security find-generic-password -w, terraform output ...",
)
