"""What ``tvbench run`` tells the user: parity results, and languages named as datasets do."""

from __future__ import annotations

import json
from pathlib import Path


def test_check_parity_prints_what_it_checked_and_found(cli) -> None:
    code, out = cli("run", "--model", "gemma3", "--tasks", "textvqa,commute", "--check-parity",
                    "4", "--output", "o", "--no-report")
    assert code == 0, out
    flat = " ".join(out.split())
    assert ("parity textvqa: 4 item(s) re-run at batch size 1 against batch size 8: all "
            "identical") in flat
    assert ("parity commute: 4 item(s) re-run at batch size 1 against batch size 8: all "
            "identical (largest log-likelihood difference") in flat
    tasks = json.loads(Path("o/tiny-gemma3/results.json").read_text())["tasks"]
    assert tasks["textvqa"]["parity"] == {"checked": 4, "batch_size": 8, "mismatches": [],
                                          "divergence": 0.0}
    assert tasks["commute"]["parity"]["max_abs_diff"] < 1e-4


def test_languages_accept_the_names_the_datasets_use(cli) -> None:
    """ALM-Bench's own Language values and CC-OCR's split names work like codes."""
    code, out = cli("run", "--model", "gemma3", "--tasks", "alm_bench,cc_ocr", "--languages",
                    "German,Chinese (Simplified),french", "--output", "o", "--no-report")
    assert code == 0, out
    results = json.loads(Path("o/tiny-gemma3/results.json").read_text())["tasks"]
    assert set(results["alm_bench"]["languages"]) == {"de", "fr", "zh-Hans"}
    assert set(results["cc_ocr"]["languages"]) == {"de", "fr"}
    code, out = cli("run", "--model", "gemma3", "--tasks", "alm_bench", "--languages", "Germn",
                    "--no-report")
    assert code == 2
    assert "--languages: unknown language 'Germn'" in out and "did you mean 'German'" in out
