#!/usr/bin/env bash
# Download the wheels scripts/gpu_check.sh installs on a GPU machine without a package index.
# Run it here (where the index works), then carry the folder with the repository.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/gpu_wheels.sh [--dest DIR] [--python-version X.Y] [--list FILE] [--dry-run]

  --dest DIR            where the wheels go (default: ./wheels)
  --python-version X.Y  the GPU machine's Python (default: this python3's)
  --list FILE           modules and requirements (default: scripts/gpu_wheels.txt)
  --dry-run             print the pip commands instead of running them

Binary wheels for manylinux x86_64 are fetched without dependencies; a requirement with no
binary wheel (a pure-Python sdist) is built into a wheel here.
USAGE
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$REPO/wheels"
LIST="$REPO/scripts/gpu_wheels.txt"
PY="${PYTHON:-python3}"
PYVER=""
DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) DEST="${2:?--dest needs a folder}"; shift 2 ;;
    --python-version) PYVER="${2:?--python-version needs X.Y}"; shift 2 ;;
    --list) LIST="${2:?--list needs a file}"; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_wheels.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ -f "$LIST" ] || { echo "gpu_wheels.sh: no module list at $LIST" >&2; exit 2; }
[ -n "$PYVER" ] || PYVER="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
mkdir -p "$DEST"

run() { if [ "$DRY" = 1 ]; then echo "$*"; else "$@"; fi; }

grep -v '^\s*#' "$LIST" | while read -r module requirement _rest; do
  [ -n "${module:-}" ] || continue
  echo "== $module ($requirement)"
  if ! run "$PY" -m pip download --quiet --no-deps --only-binary=:all: --dest "$DEST" \
        --python-version "$PYVER" --implementation cp --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any \
        "$requirement"; then
    echo "   no binary wheel for $requirement: building one"
    run "$PY" -m pip wheel --quiet --no-deps --wheel-dir "$DEST" "$requirement"
  fi
done
[ "$DRY" = 1 ] || ls -l "$DEST"
