"""The COMET segment cache: rescoring never runs COMET twice on the same inputs.

Real scoring with the tiny COMET checkpoint in the COMET interpreter (tests/conftest.py);
each worker start appends one ``===`` header to the client's log, which is how the tests
count them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tvbench.scorers.comet import CometClient
from tvbench.scorers.comet_cache import CachedComet, CometScoreCache

ITEMS = [
    {"src": "The cat is on the table.", "mt": "Die Katze ist auf dem Tisch.",
     "ref": "Die Katze ist auf dem Tisch."},
    {"src": "Two dogs run.", "mt": "Zwei Hunde.", "ref": "Zwei Hunde rennen."},
    {"src": "Hello world.", "mt": "Bonjour le monde.", "ref": "Bonjour tout le monde."},
]


def _starts(log: Path) -> list[str]:
    """One header line per worker start: ``=== <time> <model> n=<items> exit=<code>``."""
    if not log.is_file():
        return []
    return [line for line in log.read_text().splitlines() if line.startswith("=== ")]


@pytest.fixture
def cached(comet_py: Path, tiny_comet: Path, tmp_path: Path) -> CachedComet:
    client = CometClient(python=str(comet_py), model=str(tiny_comet), batch_size=8, gpus=0,
                         log_path=tmp_path / "worker.log")
    return CachedComet(client, CometScoreCache(tmp_path / "segments.jsonl"))


def test_rescoring_the_same_segments_starts_no_worker(cached: CachedComet,
                                                      tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    first = cached.score(ITEMS)
    assert len(_starts(log)) == 1 and all(math.isfinite(x) for x in first.scores)
    assert "comet:" in first.describe()

    # the same process, and a new run (a fresh cache object reading the file)
    again = cached.score(ITEMS)
    rerun = CachedComet(cached.client, CometScoreCache(tmp_path / "segments.jsonl"))
    fresh_process = rerun.score(list(reversed(ITEMS)))
    assert len(_starts(log)) == 1, "COMET ran again on inputs it had scored"
    assert again.scores == first.scores and again.describe() == first.describe()
    assert fresh_process.scores == list(reversed(first.scores))


def test_only_new_segments_reach_the_worker(cached: CachedComet, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    part = cached.score(ITEMS[:2])
    whole = cached.score(ITEMS)
    starts = _starts(log)
    assert [s.split(" n=")[1].split()[0] for s in starts] == ["2", "1"]
    assert whole.scores[:2] == part.scores
    direct = cached.client.score(ITEMS)  # what COMET says for all three at once
    assert whole.scores == pytest.approx(direct.scores, abs=1e-6)


def test_the_key_covers_model_source_hypothesis_and_reference(cached: CachedComet,
                                                              tmp_path: Path) -> None:
    base = ITEMS[1]
    variants = [base, {**base, "src": "Two dogs ran."}, {**base, "mt": "Zwei Hunde!"},
                {**base, "ref": "Zwei Hunde laufen."}]
    assert len({cached.key(v) for v in variants}) == 4
    other = CachedComet(CometClient(python=cached.client.python, model="Unbabel/XCOMET-XL"),
                        cached.cache)
    assert other.key(base) != cached.key(base)


def test_a_line_torn_by_a_crash_is_ignored_and_later_lines_stay_readable(
        tmp_path: Path) -> None:
    path = tmp_path / "segments.jsonl"
    CometScoreCache(path).put([("k1", 0.5, "model:m,comet:2")])
    path.write_text(path.read_text() + '{"key": "k2", "sco')  # the process died mid-line
    cache = CometScoreCache(path)
    assert cache.get("k1") == (0.5, "model:m,comet:2") and cache.get("k2") is None
    cache.put([("k3", 0.25, "model:m,comet:2")])
    reread = CometScoreCache(path)
    assert reread.get("k1") == (0.5, "model:m,comet:2")
    assert reread.get("k3") == (0.25, "model:m,comet:2")


# ------------------------------------------------------------------ in a run
def _comet_config(comet_py: Path, model: str) -> None:
    text = Path("tvbench.toml").read_text()
    start = text.index("[comet]")
    end = text.index("# An LLM judge")
    Path("tvbench.toml").write_text(
        text[:start] + f'[comet]\npython = "{comet_py}"\nmodel = "{model}"\n\n' + text[end:])


@pytest.mark.slow
def test_a_rerun_rescores_multi30k_without_running_comet(
        cli, comet_py: Path, tiny_comet: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tvbench.scorers import comet as comet_module
    from tvbench.scorers import comet_cache

    monkeypatch.setattr(comet_cache, "default_cache_file", lambda: tmp_path / "segments.jsonl")
    log = comet_module._default_log()
    _comet_config(comet_py, str(tiny_comet))
    args = ("run", "--model", "gemma3", "--tasks", "multi30k", "--output", "o", "--no-report")
    before = len(_starts(log))
    code, out = cli(*args)
    assert code == 0, out
    assert len(_starts(log)) == before + 1
    first = json.loads(Path("o/tiny-gemma3/results.json").read_text())["tasks"]["multi30k"]
    assert first["status"] == "scored" and first["score"] is not None

    code, out = cli(*args)

    assert code == 0, out
    assert len(_starts(log)) == before + 1, "COMET ran again on the same inputs"
    again = json.loads(Path("o/tiny-gemma3/results.json").read_text())["tasks"]["multi30k"]
    assert again == first


@pytest.mark.slow
def test_a_comet_model_that_cannot_load_is_tried_once_per_run(
        cli, comet_py: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tvbench.scorers import comet as comet_module
    from tvbench.scorers import comet_cache

    monkeypatch.setattr(comet_cache, "default_cache_file", lambda: tmp_path / "segments.jsonl")
    log = comet_module._default_log()
    missing = tmp_path / "no-such-comet"
    _comet_config(comet_py, str(missing))
    before = len(_starts(log))
    code, out = cli("run", "--model", "gemma3", "--model", "qwen2_5_vl", "--tasks", "multi30k",
                    "--output", "o", "--no-report")
    assert code == 0, out
    assert len(_starts(log)) == before + 1, "one attempt for two models"
    for name in ("tiny-gemma3", "tiny-qwen2_5_vl"):
        block = json.loads(Path(f"o/{name}/results.json").read_text())["tasks"]["multi30k"]
        assert block["status"].startswith("not scored") and str(missing) in block["status"]
        assert block["metrics"]["bleu"]["score"] is not None  # BLEU and chrF still reported
