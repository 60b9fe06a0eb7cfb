"""Long sessions as windows: every assistant turn learned inside max_seq_length.

A session that renders within the window is one row. A longer one becomes several windows cut
at assistant-turn boundaries. Every window keeps the head — the system prompt (the tools are
rendered with it) and the task, the first user message — then as much recent history as fits
in `history_share` of the window, then the new assistant turns it learns, as many as fit;
the oldest history is what goes. Turns an earlier window learned are context (mask 0) in a
later one, so each turn is learned once.

Templates that are not prefix-stable (masks.py: they rewrite earlier turns once later ones
follow) give an exact span only for the last turn of a rendering: such a turn is learned in a
window that ends with it, which makes one row per assistant turn for those templates. So is a
turn whose generation prompt differs from how the template renders it in history (Gemma 4
opens an empty thought channel the history lacks): it is learned after that prompt. A turn
whose span cannot be made exact even as the last one is dropped with the reason; one longer
than the window on its own is learned up to the window's end and counted as truncated.
Messages with `"weight": 0` are context, never learned. A template that refuses a user message
right after a tool result (Mistral's "roles must alternate") gets such a prompt as the start of a
part planned on its own, after the system prompt: the turns after it are learned without what
came before (counted as `restarted`). Pure apart from the tokenizer.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from forge.models.masks import Renderer, Rendering, TemplateRenderError, render_turns
from forge.models.turns import message_weight, one_call_per_turn, prompts_after_tools, template_messages

NO_ROOM = "the system prompt, tools and task leave no room for it within max_seq_length"


@dataclass
class Window:
    ids: list[int]
    mask: list[int]
    turns: list[int]  # the row's assistant messages this window learns
    truncated: bool = False  # a learned turn runs past max_seq_length and was cut


@dataclass
class RowWindows:
    """What one row becomes: its windows, and what happened to each assistant turn."""

    windows: list[Window] = field(default_factory=list)
    turns: int = 0  # assistant turns to learn (weight > 0)
    zero_weight: int = 0  # assistant turns with weight 0 (context only)
    dropped: dict[int, str] = field(default_factory=dict)  # turn → why it is not learned
    truncated: int = 0  # turns learned only up to the window's end
    prompt_differs: int = 0  # turns learned after a generation prompt that differs from the render
    without_context: int = 0  # turns learned in a window without the messages they answer
    # turns learned after a prompt that follows a tool result, without what came before it: the
    # template refuses such a prompt after the tool result (Mistral), so a window starts there
    restarted: int = 0

    @property
    def learned(self) -> int:
        return sum(len(w.turns) for w in self.windows)


def head_length(messages: list[dict[str, Any]], first_turn: int) -> int:
    """How many leading messages every window keeps: the system prompt and the task (the
    first user message), when they come before the first turn learned."""
    n = 1 if messages and messages[0].get("role") == "system" else 0
    if n < first_turn and messages[n].get("role") == "user":
        n += 1
    return n


class _Estimate:
    """Token counts per message, close enough to plan windows (each window is then rendered
    and measured exactly)."""

    def __init__(self, renderer: Renderer, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None):
        enc = renderer.encode
        self.per_message = [len(enc(_message_text(m))) + 8 for m in messages]
        self.tools = _tools_length(renderer, messages, tools) if tools else 0

    def span(self, a: int, b: int) -> int:
        return sum(self.per_message[a:b])


def _tools_length(renderer: Renderer, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    """Tokens the template spends on the tools: the first message rendered with and without them
    (templates write them compactly or as JSON); their JSON length when that cannot be rendered."""
    first = messages[:1]
    try:
        with_tools = renderer.render(first, tools)
        without = renderer.render(first, None)
    except TemplateRenderError:
        return len(renderer.encode(json.dumps(tools, ensure_ascii=False)))
    return max(0, len(renderer.encode(with_tools)) - len(renderer.encode(without)))


def _message_text(m: dict[str, Any]) -> str:
    calls = json.dumps(m.get("tool_calls"), ensure_ascii=False) if m.get("tool_calls") else ""
    return (m.get("content") or "") + calls


def row_windows(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    max_length: int,
    *,
    history_share: float = 0.5,
    renderer: Renderer | None = None,
) -> RowWindows:
    """The windows of one row (see the module docstring)."""
    r = renderer or Renderer(tokenizer)
    if r.single_call_only:
        messages = one_call_per_turn(messages)
    msgs = template_messages(messages)
    out = RowWindows()
    targets = []
    for i, m in enumerate(messages):
        if m.get("role") == "assistant":
            if message_weight(m) > 0:
                targets.append(i)
            else:
                out.zero_weight += 1
    out.turns = len(targets)
    if not targets:
        return out
    cuts = prompts_after_tools(msgs) if r.prompt_after_tool_refused else []
    if not cuts:
        _Planner(r, msgs, tools, targets, max_length, history_share, out).run()
        return out
    # the template refuses a prompt right after a tool result: each such prompt opens a part of
    # its own (after the system prompt), planned as a row; what came before it is not shown
    system = msgs[:1] if msgs[0].get("role") == "system" else []
    bounds = [0, *cuts, len(msgs)]
    for a, b in itertools.pairwise(bounds):
        part_targets = [t for t in targets if a <= t < b]
        if not part_targets:
            continue
        shift = 0 if a == 0 else a - len(system)  # part index + shift = row index
        part = msgs[:b] if a == 0 else system + msgs[a:b]
        got = RowWindows()
        _Planner(r, part, tools, [t - shift for t in part_targets], max_length, history_share, got).run()
        for w in got.windows:
            w.turns = [t + shift for t in w.turns]
            out.windows.append(w)
        out.dropped.update({t + shift: why for t, why in got.dropped.items()})
        out.truncated += got.truncated
        out.prompt_differs += got.prompt_differs
        out.without_context += got.without_context
        out.restarted += got.learned if a else 0
    return out


class _Planner:
    def __init__(
        self,
        r: Renderer,
        msgs: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        targets: list[int],
        max_length: int,
        history_share: float,
        out: RowWindows,
    ):
        self.r, self.msgs, self.tools, self.max = r, msgs, tools, max_length
        self.targets, self.out = targets, out
        self.head = list(range(head_length(msgs, targets[0])))
        self.first = len(self.head)  # first message that history trimming may drop
        self.share = history_share
        self.pending = list(targets)
        self.est: _Estimate | None = None

    def estimate(self) -> _Estimate:
        if self.est is None:
            self.est = _Estimate(self.r, self.msgs, self.tools)
        return self.est

    def run(self) -> None:
        whole = self.render(self.first, len(self.msgs) - 1, self.pending)
        if whole is not None and len(whole[0].ids) <= self.max:
            self.take(*whole)
        while self.pending:
            self.window_for(self.pending[0])

    def render(self, start: int, last: int, learn: list[int]) -> tuple[Rendering, list[int]] | None:
        """Render head + messages[start..last]; None when the template refuses it (then every
        turn it should have learned is dropped with the template's error)."""
        index = self.head + [j for j in range(start, last + 1) if j >= self.first]
        sub = [self.msgs[j] for j in index]
        wanted = set(learn)
        local = [n for n, j in enumerate(index) if j in wanted]
        try:
            rendering = render_turns(None, sub, self.tools, learn=local, prepared=True, renderer=self.r)
        except TemplateRenderError as e:
            for t in learn:
                if t <= last and t in self.pending:
                    self.drop(t, f"template error: {e}")
            return None
        return rendering, index

    def take(self, rendering: Rendering, index: list[int]) -> list[int]:
        """Learn the pending turns that have exact spans starting inside the window; returns them.
        A turn whose generation prompt differs from its render gets a window of its own that
        ends with it, learned after that prompt (as inference asks for it)."""
        spans = [s for s in rendering.spans if index[s.message] in self.pending and s.start < self.max]
        inline = [s for s in spans if s.prompt is None]
        learned = []
        if inline:
            turns = [index[s.message] for s in inline]
            ids, mask = rendering.ids[: self.max], rendering.mask([s.message for s in inline])[: self.max]
            self.add(Window(ids, mask, turns), sum(1 for s in inline if s.end > self.max))
            learned += turns
        for s in spans:
            if s.prompt is None:
                continue
            ids, mask = s.prompted(self.r)
            if mask.index(1) >= self.max:
                continue  # its prompt alone fills the window: planned again with less history
            cut = len(ids) > self.max
            self.add(Window(ids[: self.max], mask[: self.max], [index[s.message]]), int(cut))
            self.out.prompt_differs += 1
            learned.append(index[s.message])
        for t in learned:
            self.pending.remove(t)
        return learned

    def add(self, window: Window, truncated: int) -> None:
        window.truncated = truncated > 0
        self.out.windows.append(window)
        self.out.truncated += truncated

    def drop(self, turn: int, why: str) -> None:
        self.out.dropped[turn] = why
        self.pending.remove(turn)

    def starts(self, k: int) -> list[int]:
        """Where a window's history may begin, earliest first: right after the head, or at an
        assistant message (so tool results always follow their calls)."""
        return [j for j in range(self.first, k + 1) if j == self.first or self.msgs[j].get("role") == "assistant"]

    def window_for(self, k: int) -> None:
        est = self.estimate()
        head = est.span(0, self.first) + est.tools
        starts = self.starts(k)
        answered = starts[-2] if len(starts) > 1 else k  # what k answers begins here
        budget = self.share * self.max - head
        start = next((a for a in starts if est.span(a, k) <= budget), k)
        later = [t for t in self.pending if t >= k]
        last = k
        for t in later:
            if head + est.span(start, t + 1) <= self.max:
                last = t
        got = self.render(start, last, [t for t in self.pending if t <= last])
        if got is None:
            return
        rendering, index = got
        # too long: drop later turns first, then the oldest history, until it fits or only k is left
        while len(rendering.ids) > self.max and (last > k or start < k):
            if last > k:
                last = max(t for t in later if t < last)
            else:
                start = next(a for a in starts if a > start)
            got = self.render(start, last, [t for t in self.pending if t <= last])
            if got is None:
                return
            rendering, index = got
        if k in self.take(rendering, index):
            self.out.without_context += start > answered
            return
        position = index.index(k)
        if last > k:  # k is exact only as the last turn of a window: end one there
            rendering_k = self.render(start, k, [k])
            if rendering_k is not None and k in self.take(*rendering_k):
                self.out.without_context += start > answered
                return
            if k not in self.pending:
                return
            rendering, index = rendering_k if rendering_k is not None else (rendering, index)
            position = index.index(k)
        span = rendering.span(position)
        if span is not None and span.start >= self.max:
            self.drop(k, NO_ROOM)
        else:
            self.drop(k, rendering.problems.get(position, "no exact span for this turn"))


@dataclass
class TrimmedPrompt:
    messages: list[dict[str, Any]]  # the prompt as the model is given it
    tokens: int  # its rendered length (with the generation prompt)
    cut: bool = False  # older history was dropped to fit
    dropped: int = 0  # messages dropped
    over: bool = False  # still longer than the budget (nothing more can go)


def trim_prompt(
    renderer: Renderer, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, budget: int
) -> TrimmedPrompt:
    """An inference prompt cut to `budget` tokens the way training cuts a window: the head (the
    system prompt, rendered with the tools, and the task) stays, and the oldest history goes,
    from an assistant message on so tool results always follow their calls. A prompt that
    fits is returned as it is; one that fits no way keeps the head and the shortest tail. Under a
    template that refuses a user message right after a tool result, the prompt starts at the last
    such message (after the system prompt), as training saw it. Lengths are of the messages
    rendered as given (the caller renders them the same way)."""

    def length(msgs: list[dict[str, Any]]) -> int:
        return len(renderer.encode(renderer.render(msgs, tools, generation_prompt=True)))

    if renderer.single_call_only:
        messages = one_call_per_turn(messages)
    restart = 0
    cuts = prompts_after_tools(messages) if messages and renderer.prompt_after_tool_refused else []
    if cuts:  # as training shows such a template: from the last prompt after a tool result on
        system = messages[:1] if messages[0].get("role") == "system" else []
        restart = cuts[-1] - len(system)
        messages = system + messages[cuts[-1] :]

    whole = length(messages)
    if whole <= budget or not messages:
        return TrimmedPrompt(messages, whole, cut=restart > 0, dropped=restart)
    n_head = head_length(messages, len(messages))
    starts = [j for j in range(n_head + 1, len(messages)) if messages[j].get("role") == "assistant"]
    if not starts:
        return TrimmedPrompt(messages, whole, cut=restart > 0, dropped=restart, over=True)
    best = starts[-1]
    lo, hi = 0, len(starts) - 1  # the earliest start whose tail fits (length falls as start grows)
    while lo <= hi:
        mid = (lo + hi) // 2
        if length(messages[:n_head] + messages[starts[mid] :]) <= budget:
            best, hi = starts[mid], mid - 1
        else:
            lo = mid + 1
    kept = messages[:n_head] + messages[best:]
    tokens = length(kept)
    return TrimmedPrompt(kept, tokens, cut=True, dropped=restart + best - n_head, over=tokens > budget)
