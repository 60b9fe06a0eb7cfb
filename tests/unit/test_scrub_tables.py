"""Values under a password, secret, token or key column of a table (scrub/tables.py)."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines
from forge.scrub.tables import table_secret_values

PW, TOK = "Tr0ub4dor-x9Qz", "q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5"  # made up
TABLES = {
    "csv": (
        f"id,username,password,email\n1,alice,{PW},alice@example.com\n2,bob,{PW}b,bob@example.com\n",
        [PW, PW + "b"],
    ),
    "quoted csv": (f'"name","api_key"\n"prod","{TOK}"\n', [TOK]),
    "semicolons": (f"user;db_pass;host\ndeploy;{PW};db.internal\n", [PW]),
    "tsv": (f"service\ttoken\nci\t{TOK}\n", [TOK]),
    "markdown": (f"| user | password |\n|---|---|\n| admin | {PW} |\n| ops | {PW}2 |\n", [PW, PW + "2"]),
    "psql output": (f" id | username | password \n----+----------+----------\n  1 | app | {PW}\n(1 row)\n", [PW]),
    "mysql output": (
        f"+----+----------+----------------+\n| id | username | password       |\n+----+----------+----------------+\n"
        f"|  1 | app      | {PW} |\n+----+----------+----------------+\n1 row in set (0.00 sec)\n",
        [PW],
    ),
    "psql unicode": (f" id │ username │ password \n────┼──────────┼──────────\n  1 │ app │ {PW}\n", [PW]),
    "rich table": (
        f"┏━━━━━━━━━━┳━━━━━━━━━━━━━━━━┓\n┃ name     ┃ api_key        ┃\n┡━━━━━━━━━━╇━━━━━━━━━━━━━━━━┩\n"
        f"│ prod     │ {TOK} │\n│ staging  │ {TOK}x │\n└──────────┴────────────────┘\n",
        [TOK, TOK + "x"],
    ),
    "tabulate grid": (
        f"╒════╤════════════╕\n│ id │ password   │\n╞════╪════════════╡\n│ 1  │ {PW} │\n╘════╧════════════╛\n",
        [PW],
    ),
}
KEPT = [
    "test,pass,fail\nunit,1200,3\n",  # a test report's pass column counts passes
    'words = [\n    "password",\n    "patch",\n    "path",\n]\n',  # a word list, not a table
    "token,count\nthe,12031\nof,9001\n",  # a tokenizer's table
    "name,is_secret\nconfig,true\n",
    "user,password\nadmin,$ADMIN_PASSWORD\n",
    "| user | password |\n|---|---|\n| admin | ******** |\n",
    "cat token | wc -c\n12 | 3\n",  # a pipeline, not a table
    # pipes inside code lines (special tokens), with no psql rule row under the first
    'x.wrap = tok.wrapper_token  # "<|image token|>" every image\nx.eof = tok.eof_token  # "<|extra_201|>"\n',
    " id │ username │ password \n────┼──────────┼──────────\n  1 │ app │ (hidden)\n",
]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_a_tables_secret_column_loses_its_values_bare_and_in_a_transcript_line(name):
    text, secrets = TABLES[name]
    clean = Scrubber().scrub_text(text)
    assert not [s for s in secrets if s in clean]
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": text}]}})
    (clean_line,) = scrub_json_lines([line], Scrubber())
    assert json.loads(clean_line)["message"]["content"][0]["content"] == clean
    # only the secret column changes: the other cells are as they were (example.com addresses stay)
    assert clean.count("<SECRET:") == len(secrets)


@pytest.mark.parametrize("text", KEPT)
def test_reports_word_lists_and_references_stay(text):
    assert list(table_secret_values(text)) == []
    assert Scrubber().scrub_text(text) == text
