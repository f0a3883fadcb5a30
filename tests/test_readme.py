"""The README stays true: CI runs its test command, and its task example works."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    block = re.search(r"<!-- test-command -->\n```bash\n(.*?)\n```\n<!-- /test-command -->",
                      README, re.S)
    assert block, "README.md must mark its test command"
    extracted = subprocess.run(
        ["bash", "-c", "sed -n '/<!-- test-command -->/,/<!-- \\/test-command -->/p' README.md"
         " | grep -v -e '^<!--' -e '^```'"], cwd=REPO, capture_output=True, text=True,
        check=True).stdout.strip()
    assert extracted == block.group(1)
    assert "pytest" in extracted and 'pip install -e ".[dev]"' in extracted
    ci = (REPO / ".ci" / "run").read_text()
    assert "test-command" in ci and 'bash -euo pipefail -c "$test_command"' in ci


def test_the_add_a_task_example_runs() -> None:
    from tvbench.data.outputs import Generation
    from tvbench.data.record import ItemRecord
    from tvbench.tasks.registry import TASKS

    code = re.search(r"## Adding a task.*?```python\n(.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    task = namespace["SignVQA"]()
    assert TASKS.get("sign_vqa") is namespace["SignVQA"]
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    item = task.to_item({"id": "7", "lang": "de", "question": "was steht da?",
                         "answer": "Stop", "image": {"bytes": buf.getvalue()}}, 0, None)
    assert "Answer with one word." in task.build(item).render()
    result = task.score(item, Generation(" stop "))
    assert result.score == 1.0
    record = ItemRecord(id=item.id, lang=item.lang, score=result.score)
    assert task.metrics({})[0].stats(item, record) == [1.0, 1.0]
