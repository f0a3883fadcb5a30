"""One benchmark item, as a task maps it from its dataset record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tvbench.data.inputs import ImagePart, VideoPart


@dataclass(frozen=True)
class Item:
    """A task item: stable id, BCP-47 language, task fields, and media.

    ``error`` is set when the record could not be mapped (a missing or corrupt image, a
    missing field); the runner records such an item as a per-item error instead of dropping it.
    """

    id: str
    lang: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    media: tuple[ImagePart | VideoPart, ...] = ()
    error: str | None = None

    def content_hash(self) -> str:
        """sha256 of the fields and media bytes: the data fingerprint's unit."""
        h = hashlib.sha256(json.dumps({"id": self.id, "lang": self.lang, "fields": self.fields},
                                      sort_keys=True, ensure_ascii=False, default=str).encode())
        for m in self.media:
            h.update(m.digest.encode())
        return h.hexdigest()
