"""`gmsa-rag app` with the tiny model, for tests that need the app in its own process.

Run as ``python tests/app_server.py [APP FLAGS...]`` (the flags of ``gmsa-rag app``: --port,
--root, --queue-size, --max-new-tokens, ...). Everything but the model is the real CLI path:
flag parsing, settings, the bundled sample collection indexed at first start, ``launch``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from app.loadgen import free_port  # noqa: E402,F401 - shared with the tests that import it from here
from gmsa_rag import cli  # noqa: E402
from tiny import tiny_model  # noqa: E402


def main(argv: list[str]) -> int:
    cli._load_model = lambda args: tiny_model()  # the only change: a tiny random model, fast on CPU
    return cli.main(["app", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
