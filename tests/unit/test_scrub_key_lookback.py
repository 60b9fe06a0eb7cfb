"""The key a value's name check reads back from before it (validators.key_before_value, matched
on the reversed text) is the key the same pattern written forwards finds: a search ending at
the value, what the check ran before (slower: it tried each start in the 160 characters)."""

from __future__ import annotations

import random
import re

from forge.scrub.validators import key_before_value, not_named_by_key

FORWARD = re.compile(
    r"(?P<key>[A-Za-z_$][\w$.\-]{0,100})[\"'`\]\\]*[ \t]*(?::=|=>|<-|=|:)[ \t]*[\"'`\\rRbBuUfF]{0,4}\Z"
)


def forward_key(text: str, start: int) -> str | None:
    m = FORWARD.search(text, max(0, start - 160), start)
    return m["key"] if m is not None else None


# what surrounds keys: their characters, every separator's, quotes, string prefixes, blanks
PIECES = list("aZk_$.-9é") + ["r", "b", "u", "F", "=", ":", ">", "<", "-", '"', "'", "`", "]", "\\", " ", "\t", "\n"]
PIECES += [":=", "=>", "<-", "token", "API_KEY", " = ", ": ", '": "', "['k'] = ", "x" * 40]


def test_reversed_lookback_reads_the_key_the_forward_search_reads():
    rng = random.Random(20261207)  # a fixed seed: the same texts on every machine
    seen_keys = 0
    for _ in range(30_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 24)))
        start = len(text)
        text += "v4lue"
        got, want = key_before_value(text, start), forward_key(text, start)
        assert got == want, (text, got, want)
        seen_keys += want is not None
    assert seen_keys > 3_000  # (most texts end in a separator often enough to have a key)


def test_keys_longer_than_the_pattern_or_the_window():
    for text in ("k" * 150 + " = ", "x" * 200 + "=", "é" * 30 + "a" * 80 + ": ", "9" * 120 + "ab: "):
        start = len(text)
        full = text + "secretvalue"
        assert key_before_value(full, start) == forward_key(full, start)


def test_the_name_check_still_reads_keys():
    text = 'mapToken = "mapToken2"'
    assert not not_named_by_key(text, text.index('"') + 1, len(text) - 1)
    text = 'api_key = "x9Fq2LmR7tVb"'
    assert not_named_by_key(text, text.index('"') + 1, len(text) - 1)
