"""Prompt templates: Jinja2 in a sandbox, strict about missing fields.

Tasks render their prompts with it and the judge scorer its judge prompts, so it lives in the
shared ``data`` layer. Templates are task data, so they render in a sandboxed environment
(dataset text can never reach Python attributes) and an undefined variable is an error
instead of an empty string.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _env() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True,
                                         autoescape=False)


@cache
def _compiled(source: str) -> Any:
    return _env().from_string(source)


def render(template: str, **fields: Any) -> str:
    """Render a prompt template with the given fields."""
    return str(_compiled(template).render(**fields))
