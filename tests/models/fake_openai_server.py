"""A local fake of an OpenAI-compatible ``/v1/chat/completions`` endpoint, for tests only.

A real HTTP server on 127.0.0.1 with an ephemeral port, in a background thread. Answers are
deterministic (a scripted answer when a prompt contains a key of ``answers``, else
``"echo <sha256 of the prompt text>[:8]"``). Switches make it fail (429 with
``Retry-After: 0``, or 500) a given number of times, answer 400 to chosen prompts, or hang;
it records every request and the highest number of requests it served at once. Every wait
is bounded and ``stop()`` releases hung handlers, so nothing outlives a test.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_HANG_S = 5.0
#: The environment variable the adapters under test read their API key from.
KEY_ENV = "TVBENCH_TEST_OPENAI_KEY"


@dataclass
class Script:
    """What the server does; tests mutate it between calls (guarded by the server's lock)."""

    fail_429: int = 0  # answer the next N requests with 429 + Retry-After: 0
    fail_500: int = 0  # then the next N with 500
    hang_s: float = 0.0  # hold every request this long before answering (capped)
    hold_s: float = 0.0  # time each successful request takes (for concurrency counts)
    slow: dict[str, float] = field(default_factory=dict)  # prompt substring -> extra hold
    answers: dict[str, str] = field(default_factory=dict)  # prompt substring -> answer
    bad_request: set[str] = field(default_factory=set)  # prompt substrings -> 400
    echo_auth: set[str] = field(default_factory=set)  # prompt substrings -> 400 echoing auth
    malformed: set[str] = field(default_factory=set)  # prompt substrings -> 200 without choices
    model: str = "fake-model-2026-01"
    fingerprint: str | None = "fp_fake01"


def prompt_text(body: dict[str, Any]) -> str:
    """All text of all messages, in order: what the scripted answers match against."""
    out = []
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(p.get("text", "") for p in content if p.get("type") == "text")
    return "\n".join(out)


def echo_answer(body: dict[str, Any]) -> str:
    return "echo " + hashlib.sha256(prompt_text(body).encode()).hexdigest()[:8]


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as s: ... s.url ...`` — started and stopped by the test."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.release = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ handling
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(h, 400, {"error": {"message": "body is not JSON"}})
            return
        s = self.script
        with self.lock:
            self.requests.append({"path": h.path, "headers": dict(h.headers.items()),
                                  "body": body})
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            h.in_flight = True  # type: ignore[attr-defined]
            status = 0
            if s.fail_429 > 0:
                s.fail_429 -= 1
                status = 429
            elif s.fail_500 > 0:
                s.fail_500 -= 1
                status = 500
        try:
            self._respond(h, body, status)
        finally:
            self._leave(h)

    def _leave(self, h: BaseHTTPRequestHandler) -> None:
        """The request stops counting as in flight, once: before its reply is written, since a
        client that has read a reply may send its next request before this thread returns."""
        with self.lock:
            if getattr(h, "in_flight", False):
                h.in_flight = False  # type: ignore[attr-defined]
                self.in_flight -= 1

    def _respond(self, h: BaseHTTPRequestHandler, body: dict[str, Any], status: int) -> None:
        s = self.script
        if s.hang_s:
            self.release.wait(min(s.hang_s, MAX_HANG_S))
        if h.path != "/v1/chat/completions":
            self._send(h, 404, {"error": {"message": f"no route {h.path}"}})
            return
        if status == 429:
            self._send(h, 429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"})
            return
        if status == 500:
            self._send(h, 500, {"error": {"message": "internal error"}})
            return
        text = prompt_text(body)
        if any(k in text for k in s.echo_auth):
            self._send(h, 400, {"error": {"message": "bad request from "
                                          + str(h.headers.get("Authorization"))}})
            return
        if any(k in text for k in s.malformed):
            self._send(h, 200, {"error": {"message": "overloaded"}})
            return
        if any(k in text for k in s.bad_request):
            self._send(h, 400, {"error": {"message": "invalid image_url"}})
            return
        hold = s.hold_s + sum(t for k, t in s.slow.items() if k in text)
        if hold:
            time.sleep(min(hold, MAX_HANG_S))
        answer = next((a for k, a in s.answers.items() if k in text), echo_answer(body))
        reply: dict[str, Any] = {
            "id": "chatcmpl-fake", "object": "chat.completion", "model": s.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer}}],
            "usage": {"prompt_tokens": len(text.split()),
                      "completion_tokens": len(answer.split())}}
        if s.fingerprint:
            reply["system_fingerprint"] = s.fingerprint
        self._send(h, 200, reply)

    def _send(self, h: BaseHTTPRequestHandler, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._leave(h)
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and went away
