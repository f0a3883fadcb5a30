"""``tvbench setup comet``: create the separate interpreter that COMET scoring runs in.

unbabel-comet pins ``transformers<5`` and ``numpy<2`` while tvbench needs transformers 5, so
COMET cannot live in tvbench's environment: it gets its own virtual environment, and
:mod:`tvbench.scorers.comet` talks to it through a subprocess. Running the command again is
a quick no-op when the environment already imports comet with the requested pins.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

COMET_SPEC = "unbabel-comet==2.2.7"
#: torch 2.13.0 has a CPU wheel; COMET scoring on GPU machines may want another build.
TORCH_SPEC = "torch==2.13.0"
#: torchmetrics 0.10.x (pinned by comet) imports pkg_resources, which setuptools 81 removed.
SETUPTOOLS_SPEC = "setuptools<81"
MARKER = ".tvbench-setup.json"

_PROBE = ("import json, comet, torch, transformers; print(json.dumps({'comet': "
          "comet.__version__, 'torch': torch.__version__, 'transformers': "
          "transformers.__version__}))")


class SetupError(RuntimeError):
    """A step of the environment setup failed; the message names the command."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("setup", help="create helper environments (COMET)",
                       description="Create helper environments that cannot share tvbench's "
                       "interpreter.")
    what = p.add_subparsers(dest="what", metavar="WHAT", required=True)
    c = what.add_parser("comet", help="the COMET scoring environment (unbabel-comet 2.2.7)",
                        description="Create a virtual environment for COMET scoring "
                        f"({TORCH_SPEC}, {COMET_SPEC}, {SETUPTOOLS_SPEC}) and check that "
                        "`import comet` works. A no-op when it is already set up.")
    c.add_argument("--python", metavar="PY", default=None,
                   help="interpreter that creates the environment (default: this one)")
    c.add_argument("--dir", metavar="DIR", default=None,
                   help="environment folder (default: where [comet] python in tvbench.toml "
                   "points, resolved against that file's folder)")
    c.add_argument("--torch", metavar="SPEC", default=TORCH_SPEC,
                   help=f"torch requirement, e.g. 'torch==2.14.1' (default: {TORCH_SPEC})")
    c.set_defaults(func=cmd_setup_comet)


def cmd_setup_comet(args: argparse.Namespace) -> int:
    from tvbench import config as configuration
    from tvbench.scorers.comet import interpreter_path

    wanted = interpreter_path(configuration.load(args.config))
    directory = Path(args.dir).absolute() if args.dir else environment_of(wanted)
    py = setup_comet(python=args.python, directory=directory, torch=args.torch)
    if py.absolute() != wanted:
        print(f"note: [comet] python in tvbench.toml points at {wanted}; set it to {py} "
              "for tvbench to use this environment")
    return 0


def environment_of(interpreter: Path) -> Path:
    """The virtual environment folder of an interpreter path (``ENV/bin/python`` → ``ENV``)."""
    parent = interpreter.parent
    return parent.parent if parent.name in ("bin", "Scripts") else parent


def torch_requirement(spec: str) -> str:
    """Accept a full requirement ('torch==2.14.1') or a bare version ('2.14.1')."""
    spec = spec.strip()
    if spec and spec[0].isdigit():
        return f"torch=={spec}"
    if not spec.startswith("torch"):
        raise SetupError(f"--torch {spec!r}: expected a torch requirement like 'torch==2.13.0'")
    return spec


def _interpreter(directory: Path) -> Path:
    return directory / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _probe(python: Path) -> dict[str, str] | None:
    """Versions inside the environment, or None when comet does not import."""
    try:
        proc = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True,
                              timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    try:
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return None


def _run(cmd: list[str], say: Callable[[str], None]) -> None:
    say("$ " + " ".join(cmd))
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise SetupError(f"command failed with exit code {proc.returncode}: "
                         f"{' '.join(cmd)}\n{tail}")
    say(f"  done in {time.perf_counter() - started:.1f}s")


def setup_comet(python: str | None = None, directory: str | Path = ".venv-comet",
                torch: str = TORCH_SPEC, say: Callable[[str], None] = print) -> Path:
    """Create (or confirm) the COMET environment; returns its interpreter's path.

    Idempotent: when the folder's marker records the same requirements and comet imports,
    nothing is installed. Otherwise the missing steps run and the marker is rewritten.
    """
    folder = Path(directory).expanduser().absolute()
    wanted = [torch_requirement(torch), COMET_SPEC, SETUPTOOLS_SPEC]
    py = _interpreter(folder)
    marker = folder / MARKER
    if py.is_file() and marker.is_file():
        try:
            recorded = json.loads(marker.read_text()).get("requirements")
        except ValueError:
            recorded = None
        if recorded == wanted:
            versions = _probe(py)
            if versions is not None:
                say(f"COMET environment {folder} is already set up "
                    f"(unbabel-comet {versions['comet']}, torch {versions['torch']}, "
                    f"transformers {versions['transformers']}); nothing to do")
                return py
    if not py.is_file():
        base = python or sys.executable
        say(f"creating virtual environment {folder} with {base}")
        _run([base, "-m", "venv", str(folder)], say)
    else:
        say(f"reusing virtual environment {folder}")
    say("installing " + " ".join(wanted))
    _run([str(py), "-m", "pip", "install", "--quiet", *wanted], say)
    versions = _probe(py)
    if versions is None:
        raise SetupError(f"{py} cannot `import comet` after installing {' '.join(wanted)}")
    marker.write_text(json.dumps({"requirements": wanted, "versions": versions}, indent=1))
    say(f"COMET environment ready: {py} (unbabel-comet {versions['comet']}, "
        f"torch {versions['torch']}, transformers {versions['transformers']})")
    return py
