"""OpenAIAdapter against a real local HTTP server (tests/models/fake_openai_server.py)."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tvbench.data.inputs import (
    GenerationSettings,
    ImagePart,
    Message,
    ModelInput,
    TextPart,
    VideoPart,
)
from tvbench.data.outputs import Capability, Generation
from tvbench.models.openai_http import OpenAIAdapter
from tvbench.models.openai_wire import (
    request_body,
)

from .fake_openai_server import KEY_ENV, FakeOpenAIServer, echo_answer, prompt_text

SECRET = "sk-test-Zq81-DO-NOT-LEAK-7f3a9c"


def _image(fmt: str, color: tuple[int, int, int] = (200, 30, 40)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (6, 4), color).save(buf, format=fmt)
    return buf.getvalue()


def _questions(n: int) -> list[ModelInput]:
    return [ModelInput.user(f"question number {i}?") for i in range(n)]


GREEDY = GenerationSettings(max_new_tokens=32)


# --------------------------------------------------------------------------- request format
def test_request_format_images_roles_settings_and_key(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    png, jpeg = _image("PNG"), _image("JPEG")
    inp = ModelInput((
        Message("system", (TextPart("Be brief."),)),
        Message("user", (ImagePart(png), TextPart("What is"), ImagePart(jpeg),
                         TextPart(" shown?"))),
        Message("assistant", (TextPart("A red box."),)),
        Message("user", (TextPart("Sure?"),)),
    ))
    settings = GenerationSettings(max_new_tokens=17, stop=("\n\n",))
    [gen] = make().generate([inp], settings)

    [req] = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == f"Bearer {SECRET}"
    body = req["body"]
    assert body["model"] == "fake"
    assert body["max_tokens"] == 17
    assert body["temperature"] == 0.0
    assert body["stop"] == ["\n\n"]
    msgs = body["messages"]
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[0]["content"] == "Be brief."
    assert msgs[2]["content"] == "A red box."
    parts = msgs[1]["content"]
    assert [p["type"] for p in parts] == ["image_url", "text", "image_url", "text"]
    assert [p["text"] for p in parts if p["type"] == "text"] == ["What is", " shown?"]
    url_png, url_jpeg = (p["image_url"]["url"] for p in parts if p["type"] == "image_url")
    assert url_png.startswith("data:image/png;base64,")
    assert base64.b64decode(url_png.split(",", 1)[1]) == png
    assert url_jpeg.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url_jpeg.split(",", 1)[1]) == jpeg
    assert gen == Generation(echo_answer(body), 2)


def test_no_key_means_no_authorization_header(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter]) -> None:
    make().generate(_questions(1), GREEDY)
    assert "Authorization" not in server.requests[0]["headers"]


def test_video_is_sent_as_capped_frames(make: Callable[..., OpenAIAdapter],
                                        server: FakeOpenAIServer) -> None:
    import numpy as np

    from tvbench.data.video import write_mp4

    frames = np.zeros((12, 16, 16, 3), dtype=np.uint8)
    for t in range(12):
        frames[t, :, : t + 1] = 255
    clip = write_mp4(frames)
    make().generate([ModelInput.user(VideoPart(clip, num_frames=32), "What moves?"),
                     ModelInput.user(VideoPart(clip, num_frames=3), "And now?")], GREEDY)
    counts = sorted(sum(p["type"] == "image_url" for p in r["body"]["messages"][0]["content"])
                    for r in server.requests)
    assert counts == [3, 8]  # min(num_frames, 8): the HF "frames" mode cap
    urls = [p["image_url"]["url"] for r in server.requests
            for p in r["body"]["messages"][0]["content"] if p["type"] == "image_url"]
    assert all(u.startswith("data:image/png;base64,") for u in urls)


def test_corrupt_image_is_a_per_item_error(make: Callable[..., OpenAIAdapter],
                                           server: FakeOpenAIServer) -> None:
    out = make().generate([ModelInput.user(ImagePart(b"not an image"), "?"),
                           ModelInput.user("fine")], GREEDY)
    assert out[0].text == "" and "cannot decode image" in (out[0].error or "")
    assert out[1].error is None
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- stop strings
def test_more_than_four_stops_are_cut_client_side(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter]) -> None:
    server.script.answers = {"q1": "alpha ## beta", "q2": "one STOP6 two STOP1 three",
                             "q3": "no stop here"}
    stops = ("STOP1", "STOP2", "STOP3", "STOP4", "STOP5", "STOP6")
    out = make().generate([ModelInput.user(q) for q in ("q1", "q2", "q3")],
                          GenerationSettings(16, stop=stops + ("##",)))
    assert all(r["body"]["stop"] == list(stops[:4]) for r in server.requests)
    assert [g.text for g in out] == ["alpha ", "one ", "no stop here"]


# --------------------------------------------------------------------------- retries
def test_429_is_retried_honouring_retry_after(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter]) -> None:
    server.script.fail_429 = 2
    # Back-off alone would wait >= 5 s + 10 s; Retry-After: 0 must override it.
    adapter = make(backoff_base=10.0, backoff_cap=60.0)
    start = time.perf_counter()
    [gen] = adapter.generate(_questions(1), GREEDY)
    assert time.perf_counter() - start < 3.0
    assert gen.error is None and gen.text == echo_answer(server.requests[-1]["body"])
    assert len(server.requests) == 3


def test_500_is_retried_with_backoff(server: FakeOpenAIServer,
                                     make: Callable[..., OpenAIAdapter]) -> None:
    server.script.fail_500 = 2
    start = time.perf_counter()
    [gen] = make(backoff_base=0.1, backoff_cap=1.0).generate(_questions(1), GREEDY)
    elapsed = time.perf_counter() - start
    assert gen.error is None and len(server.requests) == 3
    assert elapsed >= 0.15  # jittered waits: >= 0.1*0.5 + 0.2*0.5


def test_gives_up_after_max_retries_as_item_error(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter]) -> None:
    server.script.fail_500 = 100
    out = make(max_retries=2).generate(_questions(2), GREEDY)
    assert all(g.text == "" and g.error and g.error.startswith("failed after 3 attempts: "
                                                               "HTTP 500") for g in out)
    assert len(server.requests) == 6


def test_400_is_not_retried(server: FakeOpenAIServer,
                            make: Callable[..., OpenAIAdapter]) -> None:
    server.script.bad_request = {"question number 1?"}
    out = make().generate(_questions(3), GREEDY)
    assert out[1].text == "" and out[1].error is not None
    assert out[1].error.startswith("HTTP 400: ") and "invalid image_url" in out[1].error
    assert out[0].error is None and out[2].error is None
    assert sum("question number 1?" in prompt_text(r["body"]) for r in server.requests) == 1


def test_malformed_200_is_an_item_error(server: FakeOpenAIServer,
                                        make: Callable[..., OpenAIAdapter]) -> None:
    server.script.malformed = {"question number 0?"}
    out = make().generate(_questions(2), GREEDY)
    assert out[0].text == "" and out[0].error is not None
    assert out[0].error.startswith("ValueError: malformed response, no choices[0].message")
    assert "overloaded" in out[0].error and out[1].error is None
    assert len(server.requests) == 2


def test_timeout_becomes_item_error(server: FakeOpenAIServer,
                                    make: Callable[..., OpenAIAdapter]) -> None:
    server.script.hang_s = 3.0
    start = time.perf_counter()
    [gen] = make(timeout=0.5, max_retries=1).generate(_questions(1), GREEDY)
    elapsed = time.perf_counter() - start
    assert gen.text == "" and gen.error is not None
    assert gen.error.startswith("failed after 2 attempts: timed out after 0.5s")
    assert len(server.requests) == 2
    assert 0.9 < elapsed < 2.9


def test_connection_error_is_retried_then_item_error(
        make: Callable[..., OpenAIAdapter]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    [gen] = make(base_url=f"http://127.0.0.1:{port}/v1", max_retries=2).generate(
        _questions(1), GREEDY)
    assert gen.error is not None
    assert gen.error.startswith("failed after 3 attempts: connection error: ConnectError")


# --------------------------------------------------------------------------- concurrency
def test_concurrency_limit_is_respected(server: FakeOpenAIServer,
                                        make: Callable[..., OpenAIAdapter]) -> None:
    server.script.hold_s = 0.2
    inputs = _questions(9)
    out = make(concurrency=3).generate(inputs, GREEDY)
    assert server.max_in_flight == 3
    assert [g.text for g in out] == [echo_answer(request_body("fake", i, GREEDY))
                                     for i in inputs]


def test_order_preserved_and_on_batch_once_per_item(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter]) -> None:
    server.script.answers = {f"question number {i}?": f"answer {i}" for i in range(8)}
    server.script.slow = {"question number 0?": 0.4, "question number 3?": 0.2}
    calls: list[tuple[list[int], list[Generation]]] = []
    out = make(concurrency=4).generate(_questions(8), GREEDY,
                                       on_batch=lambda i, r: calls.append((i, r)))
    assert [g.text for g in out] == [f"answer {i}" for i in range(8)]
    seen = [i for idx, _ in calls for i in idx]
    assert sorted(seen) == list(range(8)) and len(seen) == 8
    assert seen[-1] == 0  # the slowest item finished last and was reported last
    for idx, results in calls:
        assert [r.text for r in results] == [f"answer {i}" for i in idx]


def test_on_batch_failure_propagates(server: FakeOpenAIServer,
                                     make: Callable[..., OpenAIAdapter]) -> None:
    def boom(_i: list[int], _r: list[Generation]) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        make(concurrency=2).generate(_questions(4), GREEDY, on_batch=boom)


# --------------------------------------------------------------------------- spec and secrets
def test_spec_records_no_secret_and_a_stable_revision(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    adapter = make(name="served", concurrency=2, timeout=7.5, max_retries=4,
                   seen_languages=("en", "de"))
    spec = adapter.spec
    assert (spec.name, spec.family, spec.adapter, spec.dtype) == ("served", "openai",
                                                                  "openai-chat", "n/a")
    assert spec.source == server.url and spec.revision == "fake"
    assert spec.seen_languages == ("en", "de")
    assert spec.settings == {"concurrency": 2, "timeout": 7.5, "max_retries": 4,
                             "video_frames": 8}
    adapter.generate(_questions(2), GREEDY)
    assert adapter.spec.revision == "fake"  # stable, so a resumed run signs the same way
    for text in (repr(adapter), repr(adapter.spec), json.dumps(adapter.spec.settings),
                 repr(vars(adapter))):
        assert SECRET not in text


def test_error_bodies_that_echo_the_key_are_redacted(
        server: FakeOpenAIServer, make: Callable[..., OpenAIAdapter],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    server.script.echo_auth = {"question"}
    [gen] = make().generate(_questions(1), GREEDY)
    assert gen.error is not None and "Bearer <redacted>" in gen.error
    assert SECRET not in gen.error


def test_from_entry_and_registry(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
                                 ) -> None:
    from tvbench.models.registry import ModelEntry, capabilities, load_adapter, parse_model_arg

    monkeypatch.setenv(KEY_ENV, SECRET)
    entry = ModelEntry(name="served", backend="openai", base_url=server.url + "/",
                       model="org/model", api_key_env=KEY_ENV, concurrency=3, timeout=9.0,
                       max_retries=1, seen_languages=("en",), max_frames=4)
    adapter = load_adapter(entry)
    try:
        assert isinstance(adapter, OpenAIAdapter)
        assert adapter.spec.settings == {"concurrency": 3, "timeout": 9.0, "max_retries": 1,
                                         "video_frames": 4}
        assert adapter.spec.seen_languages == ("en",)
        [gen] = adapter.generate(_questions(1), GREEDY)
        assert gen.error is None
        assert server.requests[0]["body"]["model"] == "org/model"
        assert server.requests[0]["headers"]["Authorization"] == f"Bearer {SECRET}"
    finally:
        adapter.close()
    parsed = parse_model_arg(f"openai:fake@{server.url}", {})
    assert capabilities(parsed) == OpenAIAdapter.capabilities
    with pytest.raises(ValueError, match="needs base_url"):
        OpenAIAdapter.from_entry(ModelEntry(name="x", backend="openai"))


def test_loglikelihood_tasks_are_refused_at_plan_time() -> None:
    from tvbench_tasks.textvqa import TextVQA

    from tvbench.models.base import CapabilityError
    from tvbench.runs.runner import check_capabilities

    class ScoredChoice(TextVQA):
        name = "scored_choice"
        kind = "loglikelihood"

    assert Capability.LOGLIKELIHOOD not in OpenAIAdapter.capabilities
    check_capabilities(OpenAIAdapter.capabilities, [TextVQA()], "served")  # no error
    with pytest.raises(CapabilityError, match="cannot run task 'scored_choice'.*loglikelihood"):
        check_capabilities(OpenAIAdapter.capabilities, [ScoredChoice()], "served")


# --------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_cli_run_end_to_end_never_leaks_the_key(
        server: FakeOpenAIServer, cli: Callable[..., tuple[int, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    # TextVQA prompts are question.capitalize() + an instruction (tasks/textvqa.py).
    server.script.answers = {"What is the name of the cafe?": "Cafe Roma"}
    server.script.echo_auth = {"What is the speed limit?"}
    out_dir = tmp_path / "out"
    code, output = cli("run", "--model", f"openai:fake@{server.url}", "--tasks", "textvqa",
                       "--output", str(out_dir), "--no-report")
    assert code == 3, output  # one item ended in an error: said, counted, and redacted
    assert "1× HTTP 400: " in output and "Bearer <redacted>" in output

    results = json.loads((out_dir / "fake" / "results.json").read_text())
    assert results["model"]["source"] == server.url
    assert results["model"]["adapter"] == "openai-chat"
    block = results["tasks"]["textvqa"]
    assert "model:" + server.url + "@fake|" in json.dumps(block)
    records = [json.loads(line) for line in
               (out_dir / "fake" / "records" / "textvqa.jsonl").read_text().splitlines()]
    assert len(records) == 12 == len(server.requests)
    by_id = {r["id"]: r for r in records}
    assert by_id["50000"]["output"] == "Cafe Roma" and by_id["50000"]["score"] == 1.0
    assert by_id["50002"]["error"].startswith("HTTP 400: ")
    assert "Bearer <redacted>" in by_id["50002"]["error"]
    assert all(r["headers"]["Authorization"] == f"Bearer {SECRET}" for r in server.requests)

    captured = capfd.readouterr()
    secret = SECRET.encode()
    assert secret not in (output + captured.out + captured.err).encode()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "textvqa.jsonl" for p in files)
    leaked = [p for p in files if secret in p.read_bytes()]
    assert leaked == []

