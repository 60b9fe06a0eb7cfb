"""SFT rows from sessions whose outcome stays unknown: the `unlabelled` policy of the build.

Real sessions rarely say how they ended: outside a bead tracker or an evaluation harness most
of them carry no label (ingest/outcome.py infers what it can). The policy says what the build
makes of the rest:

  "drop"              no SFT rows from them (the strict choice: SFT learns only successes)
  "include"           each session as one SFT row, like a success
  "weighted"          each session as one SFT row with `"weight": unlabelled_weight` on the row,
                      so a trainer that reads row weights learns them less than successes
  "successful_turns"  (default) the session up to its last good assistant turn: a turn whose
                      tool results all succeeded (no non-zero exit, traceback or failing tests)
                      and that the person did not reject. The failing tail is cut; earlier
                      turns that failed stay as context with `"weight": 0` on their message, the
                      OpenAI fine-tuning convention for "do not learn this turn"

Every row from an unlabelled session says so (`"outcome": "unknown"`), and the dataset's stats
count sessions, rows and turns kept, cut and zero-weighted under `unlabelled`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from forge.build.config import BuildConfig
from forge.ingest.outcome import turn_results
from forge.records import Conversation

Row = dict[str, Any]


@dataclass
class UnlabelledTally:
    policy: str
    sessions: int = 0
    rows: int = 0
    assistant_turns: int = 0
    turns_learned: int = 0
    turns_zero_weight: int = 0
    turns_cut: int = 0
    no_good_turn: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Shaped:
    conv: Conversation | None  # the session as it becomes a row, or None: no row
    zero_weight: set[int] = field(default_factory=set)  # message indexes not to learn


def shape(conv: Conversation, config: BuildConfig, tally: UnlabelledTally) -> Shaped:
    """What the policy makes of one prepared, unlabelled session."""
    tally.sessions += 1
    turns = turn_results(conv)
    tally.assistant_turns += len(turns)
    if config.unlabelled != "successful_turns":
        tally.turns_learned += len(turns)
        return Shaped(conv)
    good = [i for i, ok in turns if ok]
    if not good:
        tally.no_good_turn += 1
        tally.turns_cut += len(turns)
        return Shaped(None)
    end = good[-1]
    kept = [(i, ok) for i, ok in turns if i <= end]
    zero = {i for i, ok in kept if not ok}
    tally.turns_cut += len(turns) - len(kept)
    tally.turns_zero_weight += len(zero)
    tally.turns_learned += len(kept) - len(zero)
    return Shaped(dataclasses.replace(conv, messages=conv.messages[: end + 1]), zero)


def finish_row(row: Row, shaped: Shaped, config: BuildConfig, tally: UnlabelledTally) -> Row:
    """The SFT row of an unlabelled session, marked as such."""
    tally.rows += 1
    row["outcome"] = "unknown"
    row["unlabelled_policy"] = config.unlabelled
    if config.unlabelled == "weighted":
        row["weight"] = config.unlabelled_weight
    for i in sorted(shaped.zero_weight):
        row["messages"][i]["weight"] = 0
    return row
