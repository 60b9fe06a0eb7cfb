"""`forge scrub` on Jupyter notebooks (scrub/notebooks.py): a file a cell printed is one JSON
string per line, and secrets read across lines are caught there too. Carrier: a real notebook
from nbformat's test suite (fixtures/real/jupyter, SOURCES.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from forge.scrub import Scrubber
from forge.scrub.files import scrub_file

NOTEBOOK = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "jupyter" / "nbformat-test4.ipynb"
NETRC = ["machine api.example.dev\n", "  login deploy\n", "  password Zq8-u3XKhpimMHlJvX\n"]  # made up
SECRET_YAML = [
    "apiVersion: v1\n",
    "kind: Secret\n",
    "metadata:\n",
    "  name: db\n",
    "data:\n",
    "  config.json: TFMwdExTMUNSVWRKVGlCUVVrbFdRVlJGSUV0RldTMHRMUzB0\n",  # (only the manifest makes it secret)
]


def test_a_real_notebook_with_nothing_secret_is_copied_byte_for_byte(tmp_path):
    s = Scrubber()
    assert scrub_file(NOTEBOOK, tmp_path / "out.ipynb", s) == 0
    assert (tmp_path / "out.ipynb").read_bytes() == NOTEBOOK.read_bytes()  # its PNG's lines too


def test_a_file_printed_by_a_cell_loses_what_is_read_across_its_lines(tmp_path):
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code" and c["outputs"])
    cell["outputs"].append({"name": "stdout", "output_type": "stream", "text": NETRC + SECRET_YAML})
    src = tmp_path / "planted.ipynb"
    src.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    s = Scrubber()
    scrub_file(src, tmp_path / "out.ipynb", s)
    out = (tmp_path / "out.ipynb").read_text(encoding="utf-8")
    assert "Zq8-u3XKhpimMHlJvX" not in out and "TFMwdExTMUNSVWRKVGlCUVVrbFdRVlJGSUV0RldTMHRMUzB0" not in out
    clean = json.loads(out)
    at = notebook["cells"].index(cell)
    text = clean["cells"][at]["outputs"][-1].pop("text")
    assert text[2] == "  password <SECRET:password>\n" and text[-1] == "  config.json: <SECRET:kubernetes_secret>\n"
    assert len(text) == len(NETRC + SECRET_YAML)  # still one string per line
    # the rest of the notebook is as it was, the layout nbformat's own
    cell["outputs"][-1].pop("text")
    assert clean == notebook
    assert out.startswith('{\n "cells": [\n')
    assert s.report()["by_detector"]["kubernetes_secret"] == 1  # (the password line: as a sentence or as .netrc)


def test_a_notebook_that_is_not_json_is_scrubbed_as_text(tmp_path):
    src = tmp_path / "broken.ipynb"
    shutil.copyfile(NOTEBOOK, src)
    src.write_text(src.read_text()[:-40] + '"password": "Zq8-u3XKhpimMHlJvX"', encoding="utf-8")
    scrub_file(src, tmp_path / "out.ipynb", Scrubber())
    assert "Zq8-u3XKhpimMHlJvX" not in (tmp_path / "out.ipynb").read_text()
