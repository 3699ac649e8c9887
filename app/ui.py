"""The Blocks layout and its callbacks.

:class:`Callbacks` holds one method per user action; each takes and returns plain component
values, so tests call them directly. Per-user state lives in the components' values (the two
Chatbots) and a ``gr.State`` (this session's latency records), never in globals.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import gradio as gr
import pandas as pd

from gmsa_rag.errors import GMSAError
from gmsa_rag.pipeline import AnswerStats

from app import render
from app.engine import AppEngine, AnswerUpdate
from app.render import LatencyRecord, Message

log = logging.getLogger(__name__)
TITLE = "gmsa_rag: chat over your documents with GMSA soft tokens"
MAX_TOP_K = 10
# chatbot (GMSA), chatbot (full text), latency records, latency plot, question box
ChatOutputs = tuple[list[Message], list[Message], list[LatencyRecord], pd.DataFrame | None, str]


def _plot_value(records: Sequence[LatencyRecord]) -> pd.DataFrame | None:
    """The plot's value; None before the first answer (a plot first shown empty draws no bars later)."""
    return render.latency_frame(records) if records else None


def _upload_name(path: str) -> str:
    """The user's file name: Gradio keeps it as the temporary file's base name."""
    return Path(path).name


class Callbacks:
    """The app's event handlers, bound to one :class:`AppEngine`."""

    def __init__(self, engine: AppEngine) -> None:
        self.engine = engine

    # ---------------------------------------------------------------- collection

    def collection_view(self) -> tuple[str, pd.DataFrame, dict]:
        """Summary line, documents table, and the delete dropdown's choices."""
        rows = self.engine.documents()
        choices = [r.doc_id for r in rows]
        dropdown = gr.update(choices=choices, value=None)
        return render.collection_summary(self.engine.info()), render.documents_frame(rows), dropdown

    def upload(self, files: Sequence[str] | None, progress: gr.Progress = gr.Progress(track_tqdm=True)):
        """Index and precompress uploaded files; returns the status, then the refreshed collection view."""
        if not files:
            raise gr.Error("Choose one or more files first (.txt, .md, .html, .pdf, .jsonl).")
        paths = [str(f) for f in files]
        try:
            result = self.engine.add_files(paths, [_upload_name(p) for p in paths], progress=lambda f, d: progress(f, desc=d))
        except GMSAError as exc:
            raise gr.Error(f"Upload failed: {exc}") from exc
        except Exception as exc:  # keep serving; the log has the traceback
            log.exception("upload failed")
            raise gr.Error(f"Upload failed: {type(exc).__name__}") from exc
        summary = render.upload_summary(result)
        if not result.accepted:
            raise gr.Error(f"No file was indexed. {summary}")
        if result.rejected:
            gr.Warning(f"{len(result.rejected)} file(s) rejected; see the upload status.")
        return (summary, *self.collection_view(), None)

    def delete(self, doc_id: str | None):
        """Remove the chosen document; returns a status line and the refreshed collection view."""
        try:
            removed = self.engine.delete(doc_id or "")
        except GMSAError as exc:
            raise gr.Error(str(exc)) from exc
        return (f"deleted {render.escape(doc_id or '')} ({removed} chunks)", *self.collection_view())

    # ---------------------------------------------------------------- chat

    def chat(
        self,
        question: str,
        gmsa_history: list[Message] | None,
        full_history: list[Message] | None,
        latencies: list[LatencyRecord] | None,
        rate: int,
        top_k: int,
        compare: bool,
    ) -> Iterator[ChatOutputs]:
        """Stream the GMSA answer (and, with ``compare``, the full-text answer) into the chats."""
        question = (question or "").strip()
        if not question:
            raise gr.Error("Type a question first.")
        gmsa, full = list(gmsa_history or []), list(full_history or [])
        records = list(latencies or [])
        number = len({r.answer for r in records}) + 1
        runs = [("gmsa", gmsa)] + ([("full", full)] if compare else [])
        for _, history in runs:
            history.append(render.user_message(question))
        yield self._snapshot(gmsa, full, records)
        for mode, history in runs:
            for stats in self._stream_into(history, question, mode, int(rate), int(top_k)):
                if stats is not None:
                    records.append(LatencyRecord.of(number, stats))
                yield self._snapshot(gmsa, full, records)

    @staticmethod
    def _snapshot(gmsa: list[Message], full: list[Message], records: list[LatencyRecord]) -> ChatOutputs:
        """The UI values now (copies, so each yielded value stays as it was)."""
        return list(gmsa), list(full), list(records), _plot_value(records), ""

    def _stream_into(
        self, history: list[Message], question: str, mode: str, rate: int, top_k: int
    ) -> Iterator[AnswerStats | None]:
        """Append the sources and the growing answer to ``history`` in place.

        Yields after every change (``None``), and the answer's stats with the last change; the
        caller yields the UI values each time.
        """
        try:
            updates = self.engine.answer(question, mode=mode, rate=rate, top_k=top_k)
            first: AnswerUpdate = next(updates)
            history.append(render.sources_message(first.sources))
            history.append(render.answer_message("", None))
            yield None
            for update in updates:
                history[-1] = render.answer_message(update.text, update.stats)
                yield update.stats
        except GMSAError as exc:
            raise gr.Error(str(exc)) from exc
        except gr.Error:
            raise
        except Exception as exc:
            log.exception("answering failed")
            raise gr.Error(f"Answering failed: {type(exc).__name__}") from exc

    def clear(self) -> ChatOutputs:
        """Empty both chats and this session's latency plot."""
        return [], [], [], None, ""

    @staticmethod
    def toggle_compare(compare: bool):
        return gr.update(visible=bool(compare))


# ---------------------------------------------------------------- layout

CSS = """
#gmsa-chat .message, #full-chat .message { font-size: 0.95rem; }
"""


def theme() -> gr.themes.Base:
    """The default look with system fonts: nothing is fetched from a font CDN."""
    system = ["ui-sans-serif", "system-ui", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "monospace"]
    return gr.themes.Default(font=system, font_mono=mono)


def _chatbot(label: str, elem_id: str, visible: bool = True) -> gr.Chatbot:
    return gr.Chatbot(
        label=label, elem_id=elem_id, visible=visible, height=600, sanitize_html=True, allow_tags=False,
        render_markdown=True, feedback_options=None, group_consecutive_messages=False,
    )


def build_demo(engine: AppEngine) -> gr.Blocks:
    """The app's Blocks: chat with controls and a latency plot on the left, the collection on the right."""
    cb = Callbacks(engine)
    rates = list(engine.rates)
    # Answers run side by side up to the scheduler's batch size (the engine serialises what must
    # be); uploads and deletes one at a time.
    answers = {"concurrency_id": "answer", "concurrency_limit": engine.max_batch}
    model_lock = {"concurrency_id": "model", "concurrency_limit": 1}
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\nAnswers are decoded from a few soft tokens per retrieved chunk; "
                    "tick *compare* to also read the chunks as full text.")
        latencies = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Row():
                    gmsa_chat = _chatbot("GMSA answer (soft tokens)", "gmsa-chat")
                    full_chat = _chatbot("Full-text answer (baseline)", "full-chat", visible=False)
                with gr.Row():
                    question = gr.Textbox(placeholder="Ask about your documents…", show_label=False, scale=5,
                                          elem_id="question", max_length=2000)
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    clear = gr.Button("Clear", scale=1, elem_id="clear")
                with gr.Row():
                    rate = gr.Radio(rates, value=4 if 4 in rates else rates[0], label="compression rate", elem_id="rate")
                    top_k = gr.Slider(1, MAX_TOP_K, value=4, step=1, label="top-k chunks", elem_id="top-k")
                    compare = gr.Checkbox(label="compare with full text", elem_id="compare")
                plot = gr.BarPlot(
                    None, x="bar", y="seconds", title="Total time per answer (s): GMSA vs full text",
                    x_title="answer", y_title="seconds", y_lim=[0, None], sort=None, elem_id="latency-plot", height=260,
                )
            with gr.Column(scale=2):
                gr.Markdown("### Collection")
                summary = gr.Markdown(elem_id="collection-summary")
                files = gr.File(file_count="multiple", file_types=[".txt", ".md", ".html", ".htm", ".pdf", ".jsonl"],
                                label="Upload documents", elem_id="upload")
                add = gr.Button("Add to collection", variant="primary", elem_id="add")
                status = gr.Markdown(elem_id="upload-status")
                documents = gr.Dataframe(render.documents_frame([]), interactive=False, elem_id="documents", wrap=True,
                                         column_widths=["34%", "12%", "16%", "18%", "20%"])
                with gr.Row():
                    doc_choice = gr.Dropdown([], label="document", elem_id="doc-choice", scale=3)
                    delete = gr.Button("Delete", variant="stop", elem_id="delete", scale=1)

        chat_in = [question, gmsa_chat, full_chat, latencies, rate, top_k, compare]
        chat_out = [gmsa_chat, full_chat, latencies, plot, question]
        ask.click(cb.chat, chat_in, chat_out, api_name="ask", **answers)
        question.submit(cb.chat, chat_in, chat_out, api_visibility="private", **answers)
        clear.click(cb.clear, None, chat_out, api_visibility="private")
        compare.change(cb.toggle_compare, compare, full_chat, api_visibility="private")
        view = [summary, documents, doc_choice]
        add.click(cb.upload, files, [status, *view, files], api_name="upload", **model_lock)
        delete.click(cb.delete, doc_choice, [status, *view], api_name="delete", **model_lock)
        demo.load(cb.collection_view, None, view, api_name="collection")
    return demo
