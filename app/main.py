"""Start-up: settings, the engine (model + collection), the queue and ``launch``.

Secure by default: binds 127.0.0.1, no share link, no analytics, an upload size limit, a
bounded queue; documents are never rendered as HTML (see :mod:`app.render`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gmsa_rag.model import GMSAModel

from app.engine import AppEngine


@dataclass(frozen=True)
class AppSettings:
    """How the app is served (the CLI's ``gmsa-rag app`` flags)."""

    host: str = "127.0.0.1"
    port: int = 7860
    index: str = "app"
    root: Path | None = None
    max_upload_mb: float = 20.0
    max_upload_files: int = 20  # per upload batch
    max_new_tokens: int = 64
    seed_sample: bool = True
    queue_size: int = 16  # waiting requests beyond this are refused ("queue full")
    max_batch: int = 8  # answers decoded together; 1: one at a time

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


def _quiet_gradio() -> None:
    """No analytics or version checks over the network (set at start-up, not on import)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def open_engine(model: GMSAModel, settings: AppSettings) -> AppEngine:
    """The engine on the app's collection (the bundled sample is indexed into a new one, with progress)."""
    return AppEngine.open(
        model, index=settings.index, root=settings.root, seed_sample=settings.seed_sample,
        max_upload_bytes=settings.max_upload_bytes, max_upload_files=settings.max_upload_files,
        max_new_tokens=settings.max_new_tokens, max_batch=settings.max_batch,
    )


def launch(engine: AppEngine, settings: AppSettings, *, block: bool = True):
    """Build the UI, bound the queue and serve it; with ``block=False`` return the running Blocks."""
    _quiet_gradio()
    from app.ui import CSS, build_demo, theme

    demo = build_demo(engine)
    demo.queue(default_concurrency_limit=1, max_size=settings.queue_size)
    demo.launch(
        server_name=settings.host, server_port=settings.port, share=False, inbrowser=False, show_error=False,
        max_file_size=settings.max_upload_bytes, ssr_mode=False, mcp_server=False, prevent_thread_lock=not block,
        theme=theme(), css=CSS, quiet=not block,
    )
    return demo


def serve(model: GMSAModel, settings: AppSettings) -> None:
    """Open the engine and serve until interrupted."""
    _quiet_gradio()
    engine = open_engine(model, settings)
    print(f"gmsa-rag app: index {settings.index!r} at {engine.collection.directory}; "
          f"serving on http://{settings.host}:{settings.port}", flush=True)
    launch(engine, settings, block=True)
