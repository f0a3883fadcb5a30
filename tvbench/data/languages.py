"""BCP-47 language codes: validation, names, groups, and the seen/unseen rule.

Language metadata (English name, script, family, resource level, dataset aliases) is data,
kept in ``languages.json`` so reports can aggregate by any group without code changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

# language (2-3 letters) [-Script (4 letters)] [-REGION (2 letters or 3 digits)] [-variant...]
_BCP47 = re.compile(
    r"^(?P<lang>[a-zA-Z]{2,3})(?:-(?P<script>[a-zA-Z]{4}))?(?:-(?P<region>[a-zA-Z]{2}|\d{3}))?"
    r"(?:-(?P<variant>[a-zA-Z0-9]{5,8}|\d[a-zA-Z0-9]{3}))*$")

#: Macrolanguages whose individual languages count as the same language for "seen" checks.
_MACRO = {"no": ("nb", "nn"), "zh": ("cmn", "yue"), "ms": ("zsm",), "fa": ("pes",),
          "ar": ("arb", "arz", "afb", "ars")}


class LanguageError(ValueError):
    """A language code that is not well-formed BCP-47 or not known to tvbench."""


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    script: str
    family: str
    resource: str  # "high" | "low" | "unknown"


@cache
def _table() -> dict[str, dict[str, object]]:
    text = resources.files("tvbench.data").joinpath("languages.json").read_text("utf-8")
    return dict(json.loads(text)["languages"])


@cache
def _spellings() -> dict[str, str]:
    """Every accepted spelling, lower-cased, → as written (codes, names, dataset aliases)."""
    out: dict[str, str] = {}
    for code, meta in _table().items():
        for spelling in (code, str(meta["name"]), *meta.get("aliases", [])):  # type: ignore[misc]
            out[str(spelling).lower()] = str(spelling)
    return out


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, meta in _table().items():
        out[code.lower()] = code
        out[str(meta["name"]).lower()] = code
        for alias in meta.get("aliases", []):  # type: ignore[union-attr]
            out[str(alias).lower()] = code
    return out


def canonical(tag: str) -> str:
    """Canonical casing of a well-formed tag: ``zh-hans`` → ``zh-Hans``, ``pt-br`` → ``pt-BR``."""
    text = tag.strip().replace("_", "-")
    if not _BCP47.match(text):
        raise LanguageError(f"{tag!r} is not a BCP-47 language tag (e.g. 'de', 'zh-Hans', 'pt-BR')")
    first, *rest = text.split("-")
    out = [first.lower()]
    for sub in rest:
        if len(sub) == 4 and sub.isalpha():
            out.append(sub.title())
        elif (len(sub) == 2 and sub.isalpha()) or (len(sub) == 3 and sub.isdigit()):
            out.append(sub.upper())
        else:
            out.append(sub.lower())
    return "-".join(out)


def resolve(value: str) -> str:
    """Map a code, an English name or a dataset's own name for a language (ALM-Bench's
    ``"German"`` and ``"Chinese (Simplified)"``, CC-OCR's split names, fork codes such as
    ``"zhs"``) to a known code; anything else is an error that suggests the nearest names."""
    key = " ".join(value.strip().lower().replace("_", "-").split())
    hit = _aliases().get(key) or _aliases().get(" ".join(value.strip().lower().split()))
    if hit:
        return hit
    try:
        code = canonical(value)
    except LanguageError:
        code = None
    if code in _table():
        return str(code)
    import difflib

    near = difflib.get_close_matches(key, list(_spellings()), n=3, cutoff=0.75)
    hint = (f"; did you mean {', '.join(repr(_spellings()[n]) for n in near)}?"
            if near else "")
    raise LanguageError(f"unknown language {value!r}: neither a BCP-47 code nor a language "
                        f"name in tvbench's language table (e.g. 'de' or 'German'){hint}")


def code_of(value: str) -> str:
    """A language as a BCP-47 code: a known code or name (:func:`resolve`), else any
    well-formed tag as it is (a model may declare a language tvbench has no entry for)."""
    try:
        return resolve(value)
    except LanguageError:
        return canonical(value)


def info(code: str) -> Language:
    meta = _table().get(code)
    if meta is None:
        primary = code.split("-")[0]
        meta = _table().get(primary, {"name": code, "script": "", "family": "",
                                      "resource": "unknown"})
    return Language(code, str(meta["name"]), str(meta.get("script", "")),
                    str(meta.get("family", "")), str(meta.get("resource", "unknown")))


def known_codes() -> list[str]:
    return sorted(_table())


def _covers(declared: str, lang: str) -> bool:
    d, x = declared.split("-"), lang.split("-")
    if d[0] != x[0]:
        return d[0] in _MACRO and x[0] in _MACRO[d[0]] or x[0] in _MACRO and d[0] in _MACRO[x[0]]
    # "pt" covers "pt-BR"; "pt-BR" covers "pt" (some variety was trained); "zh-Hans" ≠ "zh-Hant"
    n = min(len(d), len(x))
    return d[:n] == x[:n]


def is_unseen(lang: str, seen: Iterable[str] | None) -> bool | None:
    """True when ``lang`` is not among a model's declared training languages.

    ``None`` when the model declares no list: unknown is reported as unknown, never guessed.
    """
    if seen is None:
        return None
    return not any(_covers(code_of(s), code_of(lang)) for s in seen)


#: Language attributes that define groups (resource level, script, family) for breakdowns.
GROUP_ATTRIBUTES = ("resource", "script", "family")


@cache
def group_values() -> dict[str, frozenset[str]]:
    """Every value each of :data:`GROUP_ATTRIBUTES` takes in the table ('unknown' aside)."""
    out: dict[str, set[str]] = {attr: set() for attr in GROUP_ATTRIBUTES}
    for code in _table():
        lang = info(code)
        for attr in GROUP_ATTRIBUTES:
            value = getattr(lang, attr)
            if value and value != "unknown":
                out[attr].add(value)
    return {attr: frozenset(values) for attr, values in out.items()}
