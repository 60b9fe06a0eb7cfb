"""`forge serve` as a real subprocess on a real (tiny, locally built) model: the endpoint
answers an OpenAI chat request with the model's own greedy reply."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from forge.models.tiny_base import DEFAULT_BASE_MODEL
from forge.settings import Settings
from helpers import SMALL_BASE, free_port

pytestmark = pytest.mark.slow


def test_forge_serve_answers_chat_completions(tmp_path):
    from forge.models.loading import generate, load_model
    from forge.models.tiny_base import ensure_base_model

    settings = Settings(home=tmp_path / "home").ensure()
    base = Path(ensure_base_model(DEFAULT_BASE_MODEL, settings, config=SMALL_BASE))
    port = free_port()
    forge_bin = Path(sys.executable).parent / "forge"
    env = {**os.environ, "FORGE_HOME": str(settings.home)}
    proc = subprocess.Popen(
        [str(forge_bin), "serve", "--model", str(base), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as r:
                    assert json.loads(r.read())["status"] == "ok"
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.5)
        messages = [{"role": "user", "content": "Create a bead for the login bug."}]
        body = json.dumps({"messages": messages, "max_tokens": 12}).encode()
        req = urllib.request.Request(
            url + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            out = json.loads(r.read())
        model, tokenizer = load_model(base)
        expected = generate(model, tokenizer, [messages], [[]], max_new_tokens=12)[0]
        from forge.models.tool_calls import parse_reply

        assert out["object"] == "chat.completion"
        assert (out["choices"][0]["message"]["content"] or "") == parse_reply(expected).content
    finally:
        proc.terminate()
        proc.wait(timeout=20)
