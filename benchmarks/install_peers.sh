#!/usr/bin/env bash
# Install the peers that benchmarks/peers.py compares with, each in its own virtual
# environment outside the repository (PEERS_DIR, default /tmp/peers):
#   $PEERS_DIR/inspect  inspect-ai 0.3.285 (+ openai, its OpenAI-compatible client)
#   $PEERS_DIR/lmeval   lm-evaluation-harness with its API-model extra; torch 2.13.0
#                       first, which pip takes from this machine's local CPU wheel
#                       (a bare "torch" would pull several GB of CUDA packages)
#   $PEERS_DIR/floor    aiohttp only, for the bare asyncio+aiohttp client loop
# Optional: peers.py measures whatever is installed and says what is not.
set -euo pipefail
PEERS_DIR="${PEERS_DIR:-/tmp/peers}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$PEERS_DIR"

make_venv() {
    [ -x "$PEERS_DIR/$1/bin/python" ] || "$PYTHON" -m venv "$PEERS_DIR/$1"
    "$PEERS_DIR/$1/bin/python" -m pip install -q --upgrade pip
}

make_venv floor
"$PEERS_DIR/floor/bin/pip" install -q "aiohttp>=3.9"

make_venv inspect
"$PEERS_DIR/inspect/bin/pip" install -q "inspect-ai==0.3.285" openai

make_venv lmeval
"$PEERS_DIR/lmeval/bin/pip" install -q "torch==2.13.0"
"$PEERS_DIR/lmeval/bin/pip" install -q "lm-eval[api]"

for peer in floor inspect lmeval; do
    echo "$peer: $("$PEERS_DIR/$peer/bin/python" -m pip list 2>/dev/null \
        | grep -iE '^(aiohttp|inspect[-_]ai|lm[-_]eval|torch|openai) ' | tr -s ' ' | paste -sd, -)"
done
