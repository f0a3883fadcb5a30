"""Fixtures of the HTTP backend tests: a fake OpenAI-compatible server on 127.0.0.1 and
adapters pointed at it (closed after each test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tvbench.models.openai_http import OpenAIAdapter

from .fake_openai_server import KEY_ENV, FakeOpenAIServer


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as s:
        yield s


@pytest.fixture
def make(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[Callable[..., OpenAIAdapter]]:
    monkeypatch.delenv(KEY_ENV, raising=False)
    made: list[OpenAIAdapter] = []

    def build(**kw: Any) -> OpenAIAdapter:
        args: dict[str, Any] = {"api_key_env": KEY_ENV, "timeout": 5.0, "max_retries": 3,
                                "backoff_base": 0.01, "backoff_cap": 0.05}
        args.update(kw)
        adapter = OpenAIAdapter(args.pop("base_url", server.url), args.pop("model", "fake"),
                                **args)
        made.append(adapter)
        return adapter

    yield build
    for a in made:
        a.close()
