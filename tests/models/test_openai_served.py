"""What an OpenAI-compatible server says answered (its ``model`` and ``system_fingerprint``)
is counted by the adapter and kept in results.json across resumes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tvbench.data.inputs import GenerationSettings, ModelInput
from tvbench.models.openai_http import OpenAIAdapter

from .fake_openai_server import FakeOpenAIServer


def _questions(n: int) -> list[ModelInput]:
    return [ModelInput.user(f"question number {i}?") for i in range(n)]


def test_the_model_the_server_says_answered_is_counted(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter]) -> None:
    adapter = make(max_retries=0)
    server.script.bad_request = {"question number 2?"}
    adapter.generate(_questions(3), GenerationSettings(max_new_tokens=8))
    assert adapter.served() == [{"model": "fake-model-2026-01",
                                 "system_fingerprint": "fp_fake01", "replies": 2}]
    server.script.model, server.script.fingerprint = "fake-model-2026-02", None
    adapter.generate(_questions(1), GenerationSettings(max_new_tokens=8))
    assert adapter.served() == [
        {"model": "fake-model-2026-01", "system_fingerprint": "fp_fake01", "replies": 2},
        {"model": "fake-model-2026-02", "system_fingerprint": None, "replies": 1}]


def test_results_keep_what_answered_across_resumes_and_the_terminal_says_so(
        server: FakeOpenAIServer, cli: Callable[..., tuple[int, str]], tmp_path: Path) -> None:
    server.script.bad_request = {"What is the speed limit?"}
    args = ("run", "--model", f"openai:fake@{server.url}", "--tasks", "textvqa", "--output",
            str(tmp_path), "--no-report", "--allow-errors")
    code, output = cli(*args)
    assert code == 0, output
    assert "the server answered 11 request(s) as fake-model-2026-01 (system_fingerprint " \
           "fp_fake01); asked for fake" in " ".join(output.split())

    server.script.bad_request = set()
    server.script.fingerprint = "fp_fake02"  # redeployed between the two runs
    code, output = cli(*args, "--retry-errors")
    assert code == 0, output
    served = json.loads((tmp_path / "fake" / "results.json").read_text())["model"]["served"]
    assert served == [
        {"model": "fake-model-2026-01", "system_fingerprint": "fp_fake01", "replies": 11},
        {"model": "fake-model-2026-01", "system_fingerprint": "fp_fake02", "replies": 1}]
    code, output = cli(*args)  # nothing left to ask: the counts stay as they are
    assert code == 0, output
    assert json.loads((tmp_path / "fake" / "results.json").read_text())["model"]["served"] \
        == served
