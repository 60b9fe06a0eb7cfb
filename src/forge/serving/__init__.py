"""Forge's OpenAI-compatible serving: `forge serve --engine hf|llama.cpp`.

    protocol.py  request parsing and the non-streaming response (pure)
    chunks.py    SSE chunks in OpenAI's stream shape, tool-call deltas included (pure)
    engine.py    the Engine interface, the served-name router (stacked adapters, swaps)
    hf.py        transformers + PEFT: a role model with task adapters stacked per request
    llama.py     llama.cpp (llama-cpp-python, in process) on a GGUF
    http.py      the HTTP server: auth and limits (a Guard), a bounded queue, SSE

The service facade builds engines and the server (`Forge.serve_app`); edges call that.
"""
