"""Assistant-token masks for any chat template: no `{% generation %}` markers needed.

Hub templates mark nothing, so the assistant's part of a rendered conversation is found by
rendering it prefix by prefix, as inference does. For the assistant message i of a rendered
conversation F:

  P = messages[:i] with the generation prompt   the prompt a model is given for turn i
  A = messages[:i + 1]                           the conversation up to and including turn i

The turn starts where F stops agreeing with P (P is normally a prefix of F; templates whose
generation prompt differs from the rendered turn, such as Gemma 4's empty thought channel,
part ways inside it, and the start backs off to the token where they part) and ends where F
stops agreeing with A (past its end-of-turn marker; trailing whitespace is not learned). The
last turn's end is found the same way with a probe user message after it, so end-of-text
tokens a template writes only at the very end (Phi-3) are not learned.

Exact or nothing: each boundary must be a token boundary of F (the text before it tokenizes
to a prefix of F's tokens, so the prompt a model sees at inference is the training prefix,
token for token), the history before a turn must render the same with more messages after it,
and the turn must render the same when it is not the last (templates that drop earlier
reasoning or rewrite earlier turns fail this for all but the last turn: those turns are
learned in their own window, see windows.py). A turn that fails gets no mask and a reason.
A turn whose generation prompt differs from its render also records that prompt and the reply
after it, so training can learn it the way inference asks for it (windows.py). So does a last
turn whose history the template writes otherwise when the conversation ends on it (Mistral Nemo
puts the system prompt and tools only into a last user message): the prompt inference gives,
then what the template writes for the turn (found against an empty reply in its place).
transformers is used through the tokenizer passed in; nothing heavy is imported here.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from forge.models.turns import refuses_parallel_calls, refuses_prompt_after_tool, template_messages

PROBE = {"role": "user", "content": "Continue."}
BLANK_REPLY = {"role": "assistant", "content": ""}  # where a turn's own text starts, by difference

NOT_PREFIX_STABLE = "rendered differently when later turns follow (template not prefix-stable)"
HISTORY_CHANGES = "the history before it renders differently once it follows (template not prefix-stable)"
TOKEN_MERGE = "a token spans the boundary between prompt and reply"
EMPTY = "the template writes nothing for it"
TEMPLATE_ERROR = "template error"


@dataclass
class TurnSpan:
    message: int  # index of the assistant message
    start: int  # first learned token
    end: int  # one past the last learned token
    text: str = ""  # the rendered text those tokens spell
    # set when the generation prompt differs from the rendered turn (Gemma 4's empty thought
    # channel): the prompt a model is given for this turn, and the reply it writes after it
    prompt: str | None = None

    def prompted(self, renderer: Renderer) -> tuple[list[int], list[int]]:
        """Ids and mask of this turn learned after its own generation prompt, as inference asks."""
        assert self.prompt is not None
        head, tail = renderer.encode(self.prompt), renderer.encode(self.text)
        return head + tail, [0] * len(head) + [1] * len(tail)


@dataclass
class Rendering:
    """One conversation rendered by a template, with the exact spans of its assistant turns."""

    text: str
    ids: list[int]
    spans: list[TurnSpan] = field(default_factory=list)
    problems: dict[int, str] = field(default_factory=dict)  # assistant turns without a span
    prompt_differs: list[int] = field(default_factory=list)  # generation prompt ≠ rendered turn

    def mask(self, learn: Iterable[int] | None = None) -> list[int]:
        keep = None if learn is None else set(learn)
        out = [0] * len(self.ids)
        for s in self.spans:
            if keep is None or s.message in keep:
                out[s.start : s.end] = [1] * (s.end - s.start)
        return out

    def span(self, message: int) -> TurnSpan | None:
        return next((s for s in self.spans if s.message == message), None)


class TemplateRenderError(Exception):
    """The template refused the conversation (raise_exception, a missing field, ...)."""


class Renderer:
    """A tokenizer's chat template, rendered and tokenized as training and inference do."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer
        self._single_call_only: bool | None = None
        self._prompt_after_tool_refused: bool | None = None
        self._split_tokens: dict[int, str] | None = None

    @property
    def single_call_only(self) -> bool:
        """Whether the template takes one tool call per assistant message and refuses more
        (Llama 3.1): parallel calls are then written one per message (turns.one_call_per_turn)."""
        if self._single_call_only is None:
            self._single_call_only = refuses_parallel_calls(lambda m: self.render(m, None))
        return self._single_call_only

    @property
    def prompt_after_tool_refused(self) -> bool:
        """Whether the template refuses a user message right after a tool result (Mistral):
        training then starts anew at such a prompt (windows.row_windows)."""
        if self._prompt_after_tool_refused is None:
            self._prompt_after_tool_refused = refuses_prompt_after_tool(lambda m: self.render(m, None))
        return self._prompt_after_tool_refused

    def render(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, generation_prompt: bool = False
    ) -> str:
        try:
            return self.tokenizer.apply_chat_template(
                messages, tools=tools or None, tokenize=False, add_generation_prompt=generation_prompt
            )
        except Exception as e:  # Jinja raises anything (raise_exception in templates)
            raise TemplateRenderError(f"{type(e).__name__}: {e}") from None

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def split_tokens(self) -> dict[int, str]:
        """{id: text} of the added tokens a fast tokenizer cuts its input at before normalizing
        and encoding the pieces between them on their own: those matched in the raw text that
        strip no whitespace beside them (see _Boundaries)."""
        if self._split_tokens is None:
            self._split_tokens = {}
            if getattr(self.tokenizer, "is_fast", False):
                added = getattr(self.tokenizer, "added_tokens_decoder", None) or {}
                for i, t in added.items():
                    plain = not (t.lstrip or t.rstrip or t.normalized or t.single_word)
                    if plain and t.content:
                        self._split_tokens[int(i)] = t.content
        return self._split_tokens

    def offsets(self, text: str) -> list[tuple[int, int]]:
        if not getattr(self.tokenizer, "is_fast", False):
            return []
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [tuple(o) for o in enc["offset_mapping"]]


def _lcp(a: str, b: str) -> int:
    """Length of the common prefix (binary search over slice compares: C speed on long text)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _token_start(offsets: list[tuple[int, int]], c: int) -> int:
    """`c`, or the start of the first token of F that straddles it."""
    start, k = c, bisect.bisect_right(offsets, (c, c)) - 1  # the last token starting at or before c
    # back over the tokens that reach past c (several when one character is split into byte
    # tokens) and zero-width ones (Metaspace's prefix)
    while k >= 0 and (offsets[k][1] > c or offsets[k][0] == offsets[k][1]):
        if offsets[k][0] < c < offsets[k][1]:
            start = offsets[k][0]
        k -= 1
    return start


class _Boundaries:
    """Token index of a character boundary of F, when F[:c] tokenizes to a prefix of F's ids.

    A fast tokenizer cuts its input at added tokens (<|im_start|>, <tool_call>) before anything
    else and encodes the pieces between them on their own. So where F holds such a token at s
    (one matched in the raw text that strips no whitespace beside it), F[:s] encodes to F's ids
    before it, and F[:c] for c > s to those ids followed by F[s:c]'s: only the text from the
    last such token before c is encoded, not all of F[:c] (which made a conversation's masks
    quadratic in its length: 2.4 s for a real 80-message session, now 0.26). Checked against
    whole-prefix encoding at every character of real templates' renders
    (tests/integration/test_masks_real_templates.py)."""

    def __init__(self, renderer: Renderer, text: str, ids: list[int]):
        self.renderer, self.text, self.ids = renderer, text, ids
        self.cache: dict[int, int | None] = {0: 0, len(text): len(ids)}
        self._offsets: list[tuple[int, int]] | None = None
        self._splits: tuple[list[int], list[int]] | None = None  # (char start, token index)

    @property
    def offsets(self) -> list[tuple[int, int]]:
        if self._offsets is None:
            self._offsets = self.renderer.offsets(self.text)
        return self._offsets

    def splits(self) -> tuple[list[int], list[int]]:
        if self._splits is None:
            chars: list[int] = []
            tokens: list[int] = []
            safe = self.renderer.split_tokens()
            offsets = self.offsets if safe else []
            if len(offsets) == len(self.ids):
                for k, (t, (a, b)) in enumerate(zip(self.ids, offsets, strict=True)):
                    if t in safe and self.text[a:b] == safe[t]:
                        chars.append(a)
                        tokens.append(k)
            self._splits = (chars, tokens)
        return self._splits

    def __call__(self, c: int) -> int | None:
        if c not in self.cache:
            chars, tokens = self.splits()
            j = bisect.bisect_right(chars, c) - 1
            s, k = (chars[j], tokens[j]) if j >= 0 else (0, 0)
            head = self.renderer.encode(self.text[s:c]) if c > s else []
            self.cache[c] = k + len(head) if self.ids[k : k + len(head)] == head else None
        return self.cache[c]


def render_turns(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    learn: Iterable[int] | None = None,
    *,
    prepared: bool = False,
    renderer: Renderer | None = None,
) -> Rendering:
    """Render `messages` and find the exact token span of each assistant turn in `learn`
    (default: every assistant message). Raises TemplateRenderError when the whole
    conversation does not render."""
    r = renderer or Renderer(tokenizer)
    msgs = messages if prepared else template_messages(messages)
    text = r.render(msgs, tools)
    ids = r.encode(text)
    out = Rendering(text=text, ids=ids)
    wanted = [i for i, m in enumerate(msgs) if m.get("role") == "assistant"]
    if learn is not None:
        keep = set(learn)
        wanted = [i for i in wanted if i in keep]
    boundary = _Boundaries(r, text, ids)
    last_end = 0
    for i in wanted:
        try:
            span, differs = _turn_span(r, msgs, tools, i, text, boundary)
        except TemplateRenderError as e:
            out.problems[i] = f"{TEMPLATE_ERROR}: {e}"
            continue
        if isinstance(span, str):
            out.problems[i] = span
            continue
        if span.start < last_end:
            out.problems[i] = HISTORY_CHANGES
            continue
        last_end = span.end
        out.spans.append(span)
        if differs:
            out.prompt_differs.append(i)
    return out


def _turn_span(
    r: Renderer,
    msgs: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    i: int,
    text: str,
    boundary: _Boundaries,
) -> tuple[TurnSpan | str, bool]:
    """(TurnSpan or the reason there is none, whether the prompt differs)."""
    prompt = r.render(msgs[:i], tools, generation_prompt=True)
    start = _lcp(prompt, text)
    differs = start < len(prompt)
    last = i == len(msgs) - 1
    if differs:  # the generation prompt parts from the rendered turn: only inside itself
        history = r.render(msgs[:i], tools) if i else ""
        if start < _lcp(prompt, history):
            if not last:
                return HISTORY_CHANGES, False
            # The template writes the history otherwise when the conversation ends on this turn
            # (Mistral Nemo puts the system prompt and tools only into a last user message): the
            # turn is what it writes after that history, learned after the prompt inference gives.
            try:
                start = _lcp(r.render([*msgs[:i], BLANK_REPLY], tools), text)
            except TemplateRenderError:  # it takes no empty reply: where the turn starts is unknown
                return HISTORY_CHANGES, False
        start = _token_start(boundary.offsets, start)
    alone = text if last else r.render(msgs[: i + 1], tools)  # the turn rendered as the last one
    if last:
        try:
            after = r.render([*msgs, PROBE], tools)
        except TemplateRenderError:
            after = text
        end = _lcp(after, text)
    else:
        end = _lcp(alone, text)
    if end < len(text):  # F goes on past the turn: never end inside one of its tokens
        end = _token_start(boundary.offsets, end)
    if last and end <= start:  # the last turn renders differently when not last: all of it
        end = len(text)
    stripped = start + len(text[start:end].rstrip())
    if stripped <= start:
        return (EMPTY if last or not alone[start:].strip() else NOT_PREFIX_STABLE), differs
    # trailing whitespace is not learned, unless the tokenizer merges it into the end marker
    # (ChatML's "|>\n" in vocabularies where <|im_end|> is plain text): then up to where it ends
    end = next((c for c in range(stripped, end + 1) if boundary(c) is not None), stripped)
    a, b = boundary(start), boundary(end)
    if a is None or b is None or b <= a:
        return TOKEN_MERGE, differs
    span = TurnSpan(i, a, b, text[start:end])
    if differs:
        span.prompt = prompt  # the reply is the turn's text: it starts where the two part
    return span, differs
