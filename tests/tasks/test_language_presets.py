"""``--languages paper`` (the default) selects exactly the languages of the paper's tables.

Each task declares its paper set; with the bundled data (which covers every paper language
of every task) a default run loads exactly that set, and ``--languages all`` loads every
language the task reads by default.
"""

from __future__ import annotations

import pytest

from tvbench.runs.runner import language_choice
from tvbench.tasks.registry import TASKS

#: The paper's sets, written out from the paper (and the fork's groups), not from the code.
PAPER_SETS = {
    # Table 1 / footnote 6, the fork's cc-ocr-multi-lan group
    "cc_ocr": {"de", "fr", "it", "ru", "es", "ko", "pt"},
    # Table 2 reports four of the six languages the runs used
    "commute": {"de", "fr", "ru", "zh"},
    # §3.3 "23 languages": the fork's 23-entry country_map, English included
    "alm_bench": {"de", "es", "fr", "it", "ko", "nl", "ru", "en", "pt", "zh-Hans", "zh-Hant",
                  "is", "cs", "uk", "hi", "ja", "pl", "sv", "hu", "ro", "da", "no", "fi"},
    # Table 2
    "multi30k": {"cs", "de", "fr"},
    # Table 3
    "vimul_bench": {"ar", "bn", "zh", "en", "fr", "de", "hi", "ja", "ru", "si", "es", "sv",
                    "ta", "ur"},
    # single-language tasks: the paper set is everything
    "textvqa": {"en"},
    "ocrbench": {"en"},
}


@pytest.mark.parametrize("name", sorted(PAPER_SETS))
def test_paper_preset_loads_exactly_the_papers_languages(name: str) -> None:
    task = TASKS.get(name)()
    chosen, label = language_choice(task, "paper")
    items = task.load(task.bundled_source(), chosen)
    assert {it.lang for it in items} == PAPER_SETS[name]
    if task.paper_languages is not None:
        assert set(task.paper_languages) == PAPER_SETS[name] and label == "paper"
    else:
        assert label == "all"


@pytest.mark.parametrize("name", sorted(set(PAPER_SETS) - {"alm_bench"}))
def test_all_preset_loads_every_default_language(name: str) -> None:
    task = TASKS.get(name)()
    chosen, label = language_choice(task, "all")
    assert chosen is None and label == "all"
    langs = {it.lang for it in task.load(task.bundled_source(), chosen)}
    assert langs >= PAPER_SETS[name]


def test_all_keeps_to_the_languages_the_alm_bench_protocol_can_score() -> None:
    """The letter protocols name the country of the fork's 23-language map: ``all`` is those
    23 (the other languages' items would all be errors counted 0); the protocols without
    the map read every language."""
    from tvbench.data.languages import code_of
    from tvbench.metrics.alm_letters import COUNTRY_MAP

    assert {code_of(name) for name in COUNTRY_MAP} == PAPER_SETS["alm_bench"]
    for protocol in ("paper", "paper-a"):
        task = TASKS.get("alm_bench")(protocol=protocol)
        assert language_choice(task, "all") == (frozenset(PAPER_SETS["alm_bench"]), "all")
    for protocol in ("answer-text", "official"):
        task = TASKS.get("alm_bench")(protocol=protocol)
        assert language_choice(task, "all") == (None, "all")
        every = {it.lang for it in task.load(task.bundled_source())}
        assert every > PAPER_SETS["alm_bench"]


def test_an_explicit_list_equal_to_the_paper_set_is_named_paper() -> None:
    task = TASKS.get("multi30k")()
    assert language_choice(task, ("cs", "de", "fr")) == (frozenset({"cs", "de", "fr"}), "paper")
    assert language_choice(task, ("de",)) == (frozenset({"de"}), "custom")


def test_the_bundled_sets_go_beyond_the_paper_where_the_benchmark_does() -> None:
    """So the preset really filters something (not vacuous) for the multilingual tasks."""
    for name in ("cc_ocr", "commute", "alm_bench"):
        task = TASKS.get(name)()
        every = {it.lang for it in task.load(task.bundled_source())}
        assert every > PAPER_SETS[name], name
