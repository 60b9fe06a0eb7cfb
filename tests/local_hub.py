"""A LOCAL STAND-IN for the Hugging Face Hub, for tests only — not the real Hub.

No machine here reaches huggingface.co, so tests point huggingface_hub (HfApi(endpoint=...))
at this small HTTP server on 127.0.0.1. It answers the endpoints huggingface_hub 2.4 uses to
create a repo, upload a folder (preupload → "regular" mode, then an ndjson commit with base64
file contents) and download a snapshot (repo info with its file list, then HEAD/GET of each
file under /resolve/). It keeps repos in memory, one commit after another, and records every
request so tests can check what was sent (e.g. the private flag). It implements no auth,
LFS, Xet or pagination: a regression there would not be caught here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlparse


class HubState:
    def __init__(self) -> None:
        self.repos: dict[str, dict[str, Any]] = {}  # repo id → {"private", "files": {path: bytes}, "sha"}
        self.requests: list[tuple[str, str, Any]] = []
        self.lock = threading.Lock()


def _handler(state: HubState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _body(self) -> bytes:
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _send(
            self,
            code: int,
            payload: Any = None,
            *,
            raw: bytes | None = None,
            headers: dict[str, str] | None = None,
            head: bool = False,
        ) -> None:
            data = raw if raw is not None else json.dumps(payload if payload is not None else {}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if raw is None else "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def _missing(self, what: str, head: bool = False) -> None:
            self._send(404, {"error": f"{what} not found"}, headers={"X-Error-Code": "RepoNotFound"}, head=head)

        # -- routes ---------------------------------------------------------------------------
        def do_POST(self) -> None:
            path = urlparse(self.path).path
            body = self._body()
            state.requests.append(("POST", path, body[:2000]))
            if path == "/api/repos/create":
                req = json.loads(body)
                repo = f"{req['organization']}/{req['name']}" if req.get("organization") else req["name"]
                with state.lock:
                    if repo in state.repos:
                        return self._send(409, {"error": "You already created this model repo", "url": self._url(repo)})
                    state.repos[repo] = {
                        "private": bool(req.get("private")) or req.get("visibility") == "private",
                        "files": {".gitattributes": b"*.bin filter=lfs\n"},
                        "sha": "0" * 40,
                    }
                return self._send(200, {"url": self._url(repo), "name": repo})
            if path == "/api/validate-yaml":  # the client checks the card's front matter
                req = json.loads(body)
                ok = req.get("content", "").startswith("---")
                return self._send(
                    200 if ok else 400, {"errors": [] if ok else [{"message": "no front matter"}], "warnings": []}
                )
            m = re.fullmatch(r"/api/models/(.+?)/preupload/([^/]+)", path)
            if m:
                req = json.loads(body)
                return self._send(
                    200,
                    {
                        "files": [
                            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                            for f in req.get("files", [])
                        ]
                    },
                )
            m = re.fullmatch(r"/api/models/(.+?)/commit/([^/]+)", path)
            if m:
                repo = unquote(m.group(1))
                if repo not in state.repos:
                    return self._missing(repo)
                files = dict(state.repos[repo]["files"])
                for line in body.splitlines():
                    if not line.strip():
                        continue
                    item = json.loads(line)
                    if item["key"] == "file":
                        v = item["value"]
                        files[v["path"]] = base64.b64decode(v["content"])
                    elif item["key"] == "deletedFile":
                        files.pop(item["value"]["path"], None)
                sha = hashlib.sha1(
                    json.dumps(sorted((k, hashlib.sha256(v).hexdigest()) for k, v in files.items())).encode()
                ).hexdigest()
                with state.lock:
                    state.repos[repo].update(files=files, sha=sha)
                return self._send(
                    200, {"commitUrl": f"{self._url(repo)}/commit/{sha}", "commitOid": sha, "success": True}
                )
            self._missing(path)

        def do_GET(self) -> None:
            self._get(head=False)

        def do_HEAD(self) -> None:
            self._get(head=True)

        def _get(self, head: bool) -> None:
            path = urlparse(self.path).path
            state.requests.append(("HEAD" if head else "GET", path, None))
            m = re.fullmatch(r"/api/models/(.+?/.+?)/tree/([^/]+)", path)
            if m:  # the file listing snapshot_download walks (one page, recursive)
                r = state.repos.get(unquote(m.group(1)))
                if r is None:
                    return self._missing(m.group(1), head)
                return self._send(
                    200,
                    [
                        {"type": "file", "path": p, "size": len(d), "oid": hashlib.sha1(d).hexdigest()}
                        for p, d in sorted(r["files"].items())
                    ],
                    head=head,
                )
            m = re.fullmatch(r"/api/models/(.+?)(?:/revision/([^/]+))?", path)
            if m:
                repo = unquote(m.group(1))
                if repo not in state.repos:
                    return self._missing(repo, head)
                r = state.repos[repo]
                return self._send(
                    200,
                    {
                        "id": repo,
                        "modelId": repo,
                        "sha": r["sha"],
                        "private": r["private"],
                        "siblings": [{"rfilename": p} for p in sorted(r["files"])],
                    },
                    head=head,
                )
            m = re.fullmatch(r"/(.+?/.+?)/resolve/([^/]+)/(.+)", path)
            if m:
                repo, _, fname = unquote(m.group(1)), m.group(2), unquote(m.group(3))
                r = state.repos.get(repo)
                if r is None or fname not in r["files"]:
                    return self._send(
                        404, {"error": "Entry not found"}, headers={"X-Error-Code": "EntryNotFound"}, head=head
                    )
                data = r["files"][fname]
                etag = f'"{hashlib.sha256(data).hexdigest()}"'
                return self._send(
                    200, raw=data, head=head, headers={"X-Repo-Commit": r["sha"], "ETag": etag, "X-Linked-Etag": etag}
                )
            self._missing(path, head)

        def _url(self, repo: str) -> str:
            return f"http://{self.headers.get('Host')}/{repo}"

    return Handler


class LocalHub:
    """`with LocalHub() as hub: HfApi(endpoint=hub.url)` — a stand-in Hub on a free port."""

    def __init__(self) -> None:
        self.state = HubState()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
