#!/usr/bin/env bash
# One command from a fresh Debian/Ubuntu checkout to a trained model: install
# tinygrad_edu with its training extras (tqdm, matplotlib); if the library finds no
# Fashion-MNIST where it looks ($TG_DATA, ~/.cache/tinygrad_edu/fashion-mnist,
# /usr/share/datasets/fashion-mnist), install Debian's dataset-fashion-mnist
# package; then run the main job. Extra arguments go to the trainer, e.g.
#   bash scripts/demo.sh --recipe d2l
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian/Ubuntu name the interpreter python3; their system Python refuses pip
# installs (PEP 668 "externally-managed-environment"): then use a venv in .venv.
PY="${PYTHON:-$(command -v python3 || command -v python)}"
if ! "$PY" -m pip install -q ".[train]" 2>/tmp/tg-demo-pip.err; then
  if grep -q "externally-managed" /tmp/tg-demo-pip.err; then
    echo "system Python is externally managed: installing into .venv"
    "$PY" -m venv .venv || { echo "could not create a venv: apt-get install python3-venv" >&2;
                            exit 1; }
    PY=.venv/bin/python
    "$PY" -m pip install -q ".[train]"
  else
    cat /tmp/tg-demo-pip.err >&2
    exit 1
  fi
fi

have_data() {
  "$PY" -c "import tinygrad_edu as tg; tg.datasets.FashionMNIST(train=False)" \
    >/dev/null 2>&1
}
if ! have_data; then
  echo "Fashion-MNIST not found: installing Debian's dataset-fashion-mnist package"
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo";
  else SUDO="none"; fi
  if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null; then
    echo "cannot install it here (needs apt-get and root). Get the four IDX files" >&2
    echo "(train/t10k images/labels .gz) from the Fashion-MNIST project page into" >&2
    echo "~/.cache/tinygrad_edu/fashion-mnist or a folder named by TG_DATA, then rerun." >&2
    exit 1
  fi
  $SUDO apt-get install -y dataset-fashion-mnist >/dev/null \
    || { $SUDO apt-get update -qq && $SUDO apt-get install -y dataset-fashion-mnist >/dev/null; }
fi

"$PY" -m tinygrad_edu.train "$@"
