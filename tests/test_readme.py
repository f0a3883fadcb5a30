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


def test_the_add_a_task_example_runs(monkeypatch) -> None:
    from tvbench.data.outputs import Generation
    from tvbench.data.record import ItemRecord
    from tvbench.tasks.registry import TASKS

    # the example registers sign_vqa: on copies, so later tests see the real task list
    monkeypatch.setattr(TASKS, "_specs", dict(TASKS._specs))
    monkeypatch.setattr(TASKS, "_sources", dict(TASKS._sources))

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


def test_adding_a_model_family_fits_on_one_screen_and_names_real_fields() -> None:
    import ast
    import dataclasses

    from tvbench.models.families import spec

    section = re.search(r"(## Adding a model family\n.*?)\n## ", README, re.S).group(1)
    assert len(section.splitlines()) <= 50
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    fields = {name: {f.name for f in dataclasses.fields(getattr(spec, name))}
              for name in ("FamilySpec", "Architecture", "ModelSize")}
    calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id in fields]
    assert {c.func.id for c in calls} == set(fields)
    for call in calls:
        assert {k.arg for k in call.keywords} <= fields[call.func.id], call.func.id


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower-case, punctuation dropped, spaces become hyphens."""
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#{1,6} (.+)$", markdown, re.M)}


def test_task_modules_link_their_protocol_notes() -> None:
    """Protocol notes live in BENCHMARKS.md § Protocols; each task module keeps a short
    summary and a link to its own subsection (an anchor that exists)."""
    import ast

    anchors = _anchors((REPO / "BENCHMARKS.md").read_text())
    assert "protocols" in anchors
    linked = set()
    for path in sorted((REPO / "tasks").glob("*.py")):
        tree = ast.parse(path.read_text())
        if not any(isinstance(n, ast.ClassDef) and any(ast.unparse(b) == "Task" for b in n.bases)
                   for n in tree.body):
            continue  # helper modules (comet_scoring) are not tasks
        doc = ast.get_docstring(tree) or ""
        links = re.findall(r"BENCHMARKS\.md#([\w-]+)", doc)
        assert len(links) == 1 and links[0] in anchors, f"{path.name}: {links}"
        assert len(doc.splitlines()) <= 6, f"{path.name}: the notes belong in BENCHMARKS.md"
        linked.add(links[0])
    assert len(linked) == 7  # one subsection per built-in task


def test_the_task_table_counts_the_languages_tvbench_tasks_lists() -> None:
    """Each row of README § Tasks starts its languages cell with the number of languages the
    registry declares, which is the number `tvbench tasks` prints."""
    from tvbench.tasks.registry import TASKS

    section = re.search(r"\n## Tasks\n(.*?)\n## ", README, re.S).group(1)
    rows = [[c.strip() for c in line.strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| `")]
    counts = {row[0].strip("`"): row[2] for row in rows}
    builtin = {n for n in TASKS.names() if TASKS.get(n).__module__.startswith("tvbench_tasks")}
    assert set(counts) == builtin
    for name, cell in counts.items():
        number = re.match(r"(\d+)\b", cell)
        assert number, f"README § Tasks, {name}: the languages cell must start with a count"
        assert int(number.group(1)) == len(TASKS.get(name).languages), (name, cell)
