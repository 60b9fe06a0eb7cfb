"""A person's name beside their address, and git's user.name (scrub/person_names.py): each shape
as git, a mail header, package.json and a Debian changelog print it, bare and inside a transcript
line (escaped, with its letters \\u-escaped too); bots, tools and sentences stay."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines

NAMED = [  # (text, the name that must go); names and addresses made up
    ("commit 4f2a9c1\nAuthor: Mira Okafor <mira.okafor@corp-mail.io>\nDate:   Mon Jan 5", "Mira Okafor"),
    ("Commit:     Mira Okafor <mira.okafor@corp-mail.io>", "Mira Okafor"),
    ("Signed-off-by: Mira Okafor <mira@corp-mail.io>", "Mira Okafor"),
    ("Co-authored-by: Mira Okafor <12345678+miraok@users.noreply.github.com>", "Mira Okafor"),
    ('From: "Zoë Dupré-Lenoir" <zoe@corp-mail.io>', "Zoë Dupré-Lenoir"),
    ('"author": "Mira Okafor <mira@corp-mail.io> (https://mira.dev)"', "Mira Okafor"),
    (" -- Mira Okafor <mira@corp-mail.io>  Mon, 05 Jan 2026 10:00:00 +0100", "Mira Okafor"),
    ("please write to Mira Okafor <mira@corp-mail.io> about it", "Mira Okafor"),
    ("miraok <mira@corp-mail.io>", "miraok"),
    ("Author: Zoë Dupré <zoe@corp-mail.io>", "Zoë Dupré"),
    ('git config --global user.name "Mira Okafor"', "Mira Okafor"),
    ("git config user.name miraok", "miraok"),
    ("core.editor=vim\nuser.name=Mira Okafor\nuser.email=mira@corp-mail.io", "Mira Okafor"),
    ('GIT_AUTHOR_NAME="Mira Okafor" GIT_AUTHOR_EMAIL=mira@corp-mail.io git commit', "Mira Okafor"),
]
KEPT = [
    "Co-Authored-By: Claude <noreply@anthropic.com>",
    "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
    'From: "GitHub" <noreply@github.com>',
    "Author: Test User <test@example.com>",  # a documentation address: no one's
    "SELECT user.id, user.name FROM users",
    "git config --global user.name",  # (prints it: the name is in the output, below)
    "if a <b@c and d > e",
]


@pytest.mark.parametrize("text,name", NAMED, ids=[n for _, n in NAMED])
def test_the_name_goes_bare_and_in_a_transcript_line(text, name):
    clean = Scrubber().scrub_text(text)
    assert name not in clean and "<SECRET:name>" in clean
    for ensure_ascii in (False, True):  # (a reader may write é as itself or as \u00e9)
        line = json.dumps({"type": "user", "message": {"content": text}}, ensure_ascii=ensure_ascii)
        (clean_line,) = scrub_json_lines([line], Scrubber())
        assert json.loads(clean_line)["message"]["content"] == clean


@pytest.mark.parametrize("text", KEPT)
def test_bots_tools_and_other_words_stay(text):
    assert "<SECRET:name>" not in Scrubber().scrub_text(text)


def test_each_name_of_a_list_of_addresses_goes():
    clean = Scrubber().scrub_text("To: Mira Okafor <mira@corp-mail.io>, Ade Bello <ade@corp-mail.io>")
    assert clean == "To: <SECRET:name> <<SECRET:email>>, <SECRET:name> <<SECRET:email>>"
