"""A run whose items fail says so: exit status 3, the distinct errors with counts, fail-fast.

The end-to-end tests reproduce the reported cases with real ``tvbench`` processes: a data
set missing a column, a real local server answering 500 to every call, one answering
malformed JSON, and a refused connection. The served model is a ``tvbench.toml`` entry
with ``concurrency = 1`` and ``max_retries = 0``, so every item costs exactly one request
and the number of requests the server saw is the number of items the run attempted.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tvbench.data.record import ItemRecord
from tvbench.runs.failures import (
    FailureWatch,
    TooManyErrors,
    error_counts,
    errors_block,
    summary_lines,
)

from ..models.fake_openai_server import FakeOpenAIServer
from . import processes


def _rec(i: int, error: str | None = None) -> ItemRecord:
    return ItemRecord(id=str(i), lang="en", error=error, output=None if error else "x")


def test_error_counts_are_distinct_messages_most_frequent_first() -> None:
    records = [_rec(0, "b"), _rec(1, "a"), _rec(2), _rec(3, "b"), _rec(4, "c"), _rec(5, "b"),
               _rec(6, "a")]
    assert error_counts(records) == [("b", 3), ("a", 2), ("c", 1)]
    block = {"error_messages": errors_block(records)}
    assert summary_lines(block, limit=2) == ["3× b", "2× a", "… and 1 other messages (1 items)"]


def test_the_watch_stops_after_n_failures_in_a_row_and_not_before() -> None:
    watch = FailureWatch("textvqa", 3)
    watch.observe([_rec(0, "HTTP 500"), _rec(1, "HTTP 500")])
    watch.observe([_rec(2)])  # a success resets the count
    watch.observe([_rec(3, "HTTP 500"), _rec(4, "HTTP 500")])
    with pytest.raises(TooManyErrors, match=r"task 'textvqa': 3 items in a row .*3× HTTP 500"):
        watch.observe([_rec(5, "HTTP 500")])
    first = FailureWatch("ocrbench", 2)
    with pytest.raises(TooManyErrors, match="the first 2 items"):
        first.observe([_rec(0, "refused"), _rec(1, "refused")])
    never = FailureWatch("t", 0)
    never.observe([_rec(i, "x") for i in range(100)])  # 0 turns the check off


# ------------------------------------------------------------------ real processes
def _served(tmp_path: Path, url: str) -> None:
    (tmp_path / "tvbench.toml").write_text(
        f'[models.served]\nbackend = "openai"\nbase_url = "{url}"\nmodel = "m"\n'
        "concurrency = 1\nmax_retries = 0\ntimeout = 30\n")


def _refused_url() -> str:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _block(tmp_path: Path, task: str) -> dict:
    return json.loads((tmp_path / "out/served/results.json").read_text())["tasks"][task]


@pytest.fixture
def server():
    with FakeOpenAIServer() as s:
        yield s


@pytest.mark.slow
def test_a_server_answering_500_stops_after_16_items_with_exit_3_and_a_resume_hint(
        server: FakeOpenAIServer, tmp_path: Path) -> None:
    server.script.fail_500 = 10**6
    _served(tmp_path, server.url)
    proc = processes.run(["run", "--model", "served", "--tasks", "ocrbench", "--output", "out",
                          "--no-report"], tmp_path)

    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert len(server.requests) == 16, "20 items, stopped after the first 16 failed"
    out = " ".join(proc.stdout.split())  # rich folds long lines
    assert "stopped: served: task 'ocrbench': the first 16 items" in out
    assert "16× failed after 1 attempts: HTTP 500" in out
    assert "--max-consecutive-errors 16; 0 turns this off" in out
    assert "resume with: tvbench --quiet run --model served --tasks ocrbench" in out
    assert out.rstrip().endswith("--retry-errors")
    records = processes.lines(tmp_path / "out/served/records/textvqa.jsonl") + processes.lines(
        tmp_path / "out/served/records/ocrbench.jsonl")
    assert len(records) == 16, "every attempted item is saved, as an error"
    log = (tmp_path / "out/served/run.log").read_text()
    assert "stopped: served: task 'ocrbench': the first 16 items" in log

    server.script.fail_500 = 0  # the server is fixed: resume as the message says
    again = processes.run(["run", "--model", "served", "--tasks", "ocrbench", "--output", "out",
                           "--no-report", "--retry-errors"], tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(server.requests) == 16 + 20 and _block(tmp_path, "ocrbench")["n_errors"] == 0


@pytest.mark.slow
def test_without_fail_fast_every_item_is_tried_and_the_errors_are_counted(
        server: FakeOpenAIServer, tmp_path: Path) -> None:
    server.script.fail_500 = 10**6
    _served(tmp_path, server.url)
    proc = processes.run(["run", "--model", "served", "--tasks", "ocrbench", "--output", "out",
                          "--no-report", "--max-consecutive-errors", "0"], tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert len(server.requests) == 20
    assert "served · ocrbench: 20 of 20 items ended in an error:" in proc.stdout
    assert "20× failed after 1 attempts: HTTP 500" in proc.stdout
    assert _block(tmp_path, "ocrbench")["error_messages"] == [
        {"message": 'failed after 1 attempts: HTTP 500: {"error": {"message": '
                    '"internal error"}}', "count": 20}]


@pytest.mark.slow
def test_malformed_json_replies_exit_3_with_the_reason(server: FakeOpenAIServer,
                                                       tmp_path: Path) -> None:
    server.script.malformed = {""}  # every prompt: 200 with no choices in the body
    _served(tmp_path, server.url)
    proc = processes.run(["run", "--model", "served", "--tasks", "textvqa", "--output", "out",
                          "--no-report"], tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "served · textvqa: 12 of 12 items ended in an error:" in proc.stdout
    (error,) = _block(tmp_path, "textvqa")["error_messages"]
    assert error["count"] == 12 and f"12× {error['message']}" in proc.stdout
    assert "finished with item errors (exit status 3" in proc.stdout


@pytest.mark.slow
def test_a_refused_connection_exits_3_and_allow_errors_exits_0(tmp_path: Path) -> None:
    _served(tmp_path, _refused_url())
    args = ["run", "--model", "served", "--tasks", "textvqa", "--output", "out", "--no-report"]
    proc = processes.run(args, tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "12× failed after 1 attempts: connection error: ConnectError" in proc.stdout

    allowed = processes.run([*args, "--allow-errors"], tmp_path)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "12× failed after 1 attempts: connection error: ConnectError" in allowed.stdout
    assert "--allow-errors: exit status 0" in allowed.stdout


@pytest.mark.slow
def test_a_missing_column_exits_3_naming_the_field(server: FakeOpenAIServer,
                                                   tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from tvbench_tasks.textvqa import TextVQA

    source = TextVQA().bundled_source().path / "validation.parquet"
    copy = tmp_path / "textvqa-copy"
    copy.mkdir()
    pq.write_table(pq.read_table(source).drop(["question"]), copy / "validation.parquet")
    _served(tmp_path, server.url)
    proc = processes.run(["run", "--model", "served", "--tasks", "textvqa", "--data",
                          f"textvqa={copy}", "--output", "out", "--no-report"], tmp_path)

    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert len(server.requests) == 0, "broken items never reach the model"
    assert ("12× bad record: KeyError: \"field 'question' is missing\"" in proc.stdout)
    assert _block(tmp_path, "textvqa")["n_errors"] == 12
