"""The small images of the report's item browser: a JPEG of an item's first picture or frame.
"""

from __future__ import annotations

from tvbench.data.item import Item
from tvbench.data.media import MediaError, thumbnail_jpeg
from tvbench.runs.store import RunFolder


def thumbnail(folder: RunFolder, task: str, item: Item) -> str | None:
    """Store a thumbnail of ``item`` in ``folder``; its path relative to the folder, or None
    when the item's media cannot be decoded (a broken image is the item's error, not this)."""
    from tvbench.data.inputs import ImagePart

    try:
        part = item.media[0]
        if isinstance(part, ImagePart):
            jpeg = thumbnail_jpeg(part.data)
        else:
            import io

            from PIL import Image

            frame = part.frames(1)[0]
            buf = io.BytesIO()
            Image.fromarray(frame).save(buf, format="PNG")
            jpeg = thumbnail_jpeg(buf.getvalue())
    except (MediaError, OSError):
        return None
    return folder.write_thumbnail(task, item.id, jpeg)
