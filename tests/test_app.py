"""The chat app (issue #5): upload safety, engine, callbacks, and the HTTP API of a launched server.

Uses the tiny model and the shared `collection` fixture, so it runs in seconds; the real
default model in a real browser is tests/test_app_browser.py.
"""

from __future__ import annotations

import os
import time

import gradio as gr
import httpx
import pytest

from app import render
from app.engine import AppEngine
from app.main import AppSettings, launch
from app.ui import Callbacks, build_demo
from app.uploads import UploadRejected, sanitize_filename, store_uploads
from app_server import free_port
from gmsa_rag.cli import build_parser
from gmsa_rag.model import SamplingParams

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
LIMIT = 4000  # bytes per upload in these tests


@pytest.fixture
def engine(collection, tmp_path):
    return AppEngine(collection, tmp_path / "uploads", max_upload_bytes=LIMIT, params=SamplingParams(max_new_tokens=6))


@pytest.fixture
def callbacks(engine):
    return Callbacks(engine)


def _files(folder, **contents):
    folder.mkdir(exist_ok=True)
    paths = []
    for name, data in contents.items():
        path = folder / name.replace("__", ".")
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        paths.append(str(path))
    return paths


def _no_progress(*args, **kwargs) -> None:
    pass


# ---------------------------------------------------------------- file names and storage


@pytest.mark.parametrize(
    "name, expected",
    [
        ("notes.md", "notes.md"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\report.PDF", "report.pdf"),
        ("/abs/path/data.jsonl", "data.jsonl"),
        ("a..b...txt", "a.b.txt"),
        (".hidden.md", "hidden.md"),
        ("café résumé.txt", "café résumé.txt"),
        ('<img src=x onerror="a">.html', "_img src_x onerror_a_.html"),
        ("x" * 300 + ".txt", "x" * 116 + ".txt"),
    ],
)
def test_sanitize_filename(name, expected):
    safe = sanitize_filename(name)
    assert safe == expected
    assert "/" not in safe and "\\" not in safe and ".." not in safe


@pytest.mark.parametrize("name", ["evil.exe", "noext", "...", "../..txt", "archive.tar.gz", ".txt"])
def test_sanitize_filename_refuses(name):
    with pytest.raises(UploadRejected):
        sanitize_filename(name)


def test_store_uploads_limits_and_stays_inside(tmp_path):
    src = tmp_path / "src"
    good, big, empty = _files(src, ok__txt="hello world", big__txt="x" * (LIMIT + 1), empty__md="")
    outside = tmp_path / "outside.txt"
    outside.write_text("do not touch")
    link = src / "link.txt"
    link.symlink_to(outside)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "planted.txt").symlink_to(outside)  # a symlink waiting in the upload directory

    result = store_uploads(
        [good, big, empty, str(link), good, good], uploads, max_bytes=LIMIT,
        names=["ok.txt", "big.txt", "empty.md", "link.txt", "../planted.txt", "ok.txt"],
    )

    assert [p.name for p in result.stored] == ["ok.txt", "planted.txt"]
    reasons = {r.name: r.reason for r in result.rejected}
    assert "over the upload limit" in reasons["big.txt"]
    assert "empty" in reasons["empty.md"]
    assert "symlink" in reasons["link.txt"]
    assert "also named" in reasons["ok.txt"]
    assert outside.read_text() == "do not touch"
    assert not (uploads / "planted.txt").is_symlink() and (uploads / "planted.txt").read_text() == "hello world"
    assert all(p.resolve().parent == uploads.resolve() for p in uploads.iterdir())
    assert not list(uploads.glob(".upload-*"))  # no temporary files left


def test_store_uploads_limits_the_number_of_files(tmp_path):
    names = [f"f{i}.txt" for i in range(5)]
    sources = _files(tmp_path / "src", **{n.replace(".", "__"): f"text {n}" for n in names})
    result = store_uploads(sources, tmp_path / "uploads", max_bytes=LIMIT, names=names, max_files=3)
    assert [p.name for p in result.stored] == names[:3]
    assert [r.name for r in result.rejected] == names[3:]
    assert all("limit of 3 files" in r.reason for r in result.rejected)


# ---------------------------------------------------------------- collection callbacks


def test_collection_view_lists_documents(callbacks):
    summary, frame, dropdown = callbacks.collection_view()
    assert "3 documents" in summary
    assert sorted(frame["document"]) == ["berlin.txt", "paris.txt", "rome.txt"]
    assert (frame["chunks"] > 0).all() and (frame["cached soft tokens"] > 0).all()
    assert (frame["soft-token bytes (fp16)"] > 0).all()
    assert sorted(dropdown["choices"]) == ["berlin.txt", "paris.txt", "rome.txt"]


def test_upload_good_and_bad_files(callbacks, engine, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: warnings.append(message))
    paths = _files(
        tmp_path / "in", london__txt="London is the capital of England. The river is the Thames.",
        binary__txt=b"\x00\x01\x02 not text", evil__exe="MZ", big__md="word " * LIMIT,
    )
    status, summary, frame, dropdown, cleared = callbacks.upload(paths, progress=_no_progress)

    assert "added: london.txt" in status
    for name in ("binary.txt", "evil.exe", "big.md"):
        assert f"rejected {name}" in status
    assert "4 documents" in summary
    assert "london.txt" in list(frame["document"]) and "binary.txt" not in list(frame["document"])
    assert "london.txt" in dropdown["choices"] and cleared is None
    assert len(warnings) == 1 and "3 file(s) rejected" in warnings[0]
    assert sorted(p.name for p in engine.upload_dir.iterdir()) == ["london.txt"]  # refused copies removed
    row = frame[frame["document"] == "london.txt"].iloc[0]
    assert row["cached soft tokens"] > 0  # precompressed on upload

    again = callbacks.upload([paths[0]], progress=_no_progress)[0]
    assert "unchanged: london.txt" in again


def test_upload_errors_surface_as_gr_error(callbacks, tmp_path):
    with pytest.raises(gr.Error, match="Choose one or more files"):
        callbacks.upload([], progress=_no_progress)
    bad = _files(tmp_path / "bad", evil__exe="MZ")
    with pytest.raises(gr.Error, match="No file was indexed.*unsupported type .exe"):
        callbacks.upload(bad, progress=_no_progress)


def test_upload_reports_progress(callbacks, tmp_path):
    seen = []
    paths = _files(tmp_path / "p", a__txt="The war was in the north.", b__md="The king was old.")
    callbacks.upload(paths, progress=lambda fraction, desc=None, **k: seen.append((fraction, desc)))
    assert [d for _, d in seen] == ["indexing a.txt", "indexing b.md", "precompressing new chunks"]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_delete_document(callbacks, engine, tmp_path):
    paths = _files(tmp_path / "d", london__txt="London is the capital of England.")
    callbacks.upload(paths, progress=_no_progress)
    status, summary, frame, dropdown = callbacks.delete("london.txt")
    assert "deleted london.txt" in status
    assert "london.txt" not in list(frame["document"]) and "london.txt" not in dropdown["choices"]
    assert not (engine.upload_dir / "london.txt").exists()
    status, _, frame, _ = callbacks.delete("rome.txt")  # a document that did not come from an upload
    assert "rome.txt" not in list(frame["document"])
    with pytest.raises(gr.Error, match="not in the collection"):
        callbacks.delete("rome.txt")
    with pytest.raises(gr.Error, match="choose a document"):
        callbacks.delete(None)


# ---------------------------------------------------------------- chat callbacks


def _chat(callbacks, question, compare=False, rate=4, top_k=2, history=None, latencies=None):
    return list(callbacks.chat(question, history or [], [], latencies or [], rate, top_k, compare))


def _text(message) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(part["text"] for part in content)


def test_chat_streams_growing_answer_with_sources_and_stats(callbacks):
    outputs = _chat(callbacks, "what is the capital of france ?")
    assert len(outputs) >= 4  # user message, sources, then the answer piece by piece
    first_chat = outputs[0][0]
    assert [m["role"] for m in first_chat] == ["user"] and outputs[0][4] == ""  # the question box is cleared
    assert outputs[0][3] is None  # no plot before the first answer
    answers = [_text(o[0][-1]) for o in outputs[1:] if len(o[0]) == 3]
    lengths = [len(a) for a in answers]
    assert lengths == sorted(lengths) and lengths[-1] > lengths[0]
    chat, full, records, plot, box = outputs[-1]
    assert [m["role"] for m in chat] == ["user", "assistant", "assistant"] and full == []
    sources = chat[1]
    assert sources["metadata"]["title"].startswith("2 sources: paris.txt #0")
    assert "**paris.txt** · chunk 0 · score" in sources["content"] and "capital of France" in sources["content"]
    final = _text(chat[2])
    assert "GMSA 4x" in final and "soft tokens for" in final and "cache 2 hit / 0 miss" in final
    assert "TTFT" in final and "total" in final and "top-2" in final
    assert [r.mode for r in records] == ["GMSA 4x"] and list(plot["mode"]) == ["GMSA 4x"]
    assert "TTFT" not in _text(outputs[1][0][-1])  # stats come only with the finished answer


def test_chat_compare_mode_answers_twice(callbacks):
    chat, full, records, plot, _ = _chat(callbacks, "who was the king of rome ?", compare=True, rate=8)[-1]
    assert len(chat) == 3 and len(full) == 3
    assert "GMSA 8x" in _text(chat[2]) and "full text" in _text(full[2])
    assert "soft tokens" not in _text(full[2])
    assert [r.mode for r in records] == ["GMSA 8x", "full text"]
    assert list(plot["bar"]) == ["#1 GMSA 8x", "#1 full text"] and (plot["seconds"] > 0).all()

    chat2, _, records2, plot2, _ = _chat(callbacks, "what is in berlin ?", history=chat, latencies=records)[-1]
    assert len(chat2) == 6 and [r.answer for r in records2] == [1, 1, 2]  # history and plot grow per session
    assert list(plot2["bar"])[-1] == "#2 GMSA 4x"


def test_chat_errors_surface_as_gr_error(callbacks, engine, monkeypatch):
    with pytest.raises(gr.Error, match="Type a question"):
        _chat(callbacks, "   ")
    with pytest.raises(gr.Error, match="rate 3 is not one this model was trained for"):
        _chat(callbacks, "where is paris ?", rate=3)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine.pipeline, "stream", broken)
    with pytest.raises(gr.Error, match="Answering failed: RuntimeError"):
        _chat(callbacks, "where is paris ?")
    assert not engine.lock.locked()  # a failed answer releases the model


def test_markup_in_questions_and_documents_is_escaped(callbacks, tmp_path):
    paths = _files(tmp_path / "x", payload__txt=f"The city of Paris {XSS_IMG} is old. {XSS_SCRIPT} The king.")
    callbacks.upload(paths, progress=_no_progress)
    chat = _chat(callbacks, f"paris {XSS_IMG} {XSS_SCRIPT} ?", top_k=4)[-1][0]
    shown = "".join(_text(m) + str(m.get("metadata") or "") for m in chat)
    assert "<img" not in shown and "<script" not in shown
    assert "&lt;img src=x onerror=" in _text(chat[0]) and "&lt;script&gt;" in _text(chat[0])
    assert "<unk>" not in chat[1]["content"]  # the tiny tokenizer's chunk text, escaped like any snippet


def test_sources_escape_document_markup():
    from gmsa_rag.pipeline import Source

    text = f"Paris {XSS_IMG} and {XSS_SCRIPT}."
    message = render.sources_message([Source(f"{XSS_IMG}.txt", 0, 0.5, text[:20], text)])
    assert "<img" not in message["content"] and "<script" not in message["content"]
    assert "&lt;img src=x onerror=" in message["content"] and "&lt;script&gt;window.__xss=2" in message["content"]
    assert "<" not in message["metadata"]["title"] and "img src=x" in message["metadata"]["title"]


def test_one_at_a_time_answer_holds_the_lock_to_its_end(collection, tmp_path):
    engine = AppEngine(collection, tmp_path / "uploads", max_upload_bytes=LIMIT,
                       params=SamplingParams(max_new_tokens=6), max_batch=1)
    assert engine.scheduler is None
    updates = engine.answer("where is rome ?", top_k=1)
    next(updates)
    assert engine.lock.locked()
    for _ in updates:
        pass
    assert not engine.lock.locked()


def test_batched_answers_decode_outside_the_lock_and_equal_one_at_a_time(engine, collection, tmp_path):
    """The default engine retrieves under the lock and decodes in the scheduler's batches:
    concurrent answers are the same as the one-at-a-time engine's, each in its own stream."""
    import threading

    questions = ["where is rome ?", "what is the capital of france ?", "where is berlin ?"]
    single = AppEngine(collection, tmp_path / "uploads1", max_upload_bytes=LIMIT,
                       params=SamplingParams(max_new_tokens=6), max_batch=1)
    expected = [list(single.answer(q, top_k=2))[-1].text for q in questions]
    updates = engine.answer(questions[0], top_k=2)
    next(updates)  # the sources: retrieval is done
    assert not engine.lock.locked()  # an upload need not wait for this decode
    updates.close()  # the client went away mid-answer
    engine.scheduler.max_wait_s = 0.5  # let the three questions meet in one batch
    got: list = [None] * 3

    def ask(i):
        got[i] = list(engine.answer(questions[i], top_k=2))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [g[-1].text for g in got] == expected
    assert all(g[-1].stats is not None and g[-1].stats.generated_tokens == 6 for g in got)
    assert engine.scheduler.stats.largest > 1
    engine.close()


def test_answer_runs_the_model_in_one_thread_when_resumed_from_many(engine, monkeypatch):
    """Gradio resumes a sync generator on worker threads; torch's inference mode is per thread."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    model_threads, original = set(), engine.pipeline.stream

    def recording_stream(*args, **kwargs):
        stream = original(*args, **kwargs)
        decode = stream._decode

        def recorded(on_token):
            for piece in decode(on_token):
                model_threads.add(threading.get_ident())
                yield piece

        stream._decode = recorded
        return stream

    monkeypatch.setattr(engine.pipeline, "stream", recording_stream)
    for mode in ("gmsa", "full"):
        updates, consumer_threads, last, pools = engine.answer("where is rome ?", mode=mode, top_k=2), set(), None, []
        while True:
            pools.append(ThreadPoolExecutor(1))  # a fresh thread for every step, kept alive so ids differ
            step = pools[-1].submit(lambda: (threading.get_ident(), next(updates, None))).result()
            consumer_threads.add(step[0])
            if step[1] is None:
                break
            last = step[1]
        for pool in pools:
            pool.shutdown()
        assert last.stats is not None and last.stats.mode == mode and last.stats.text_pieces > 1
        assert len(consumer_threads) > 1 and len(model_threads) == 1
        model_threads.clear()


def test_closing_an_answer_early_releases_the_model(engine):
    updates = engine.answer("where is rome ?", top_k=1)
    next(updates)
    updates.close()
    with engine.lock:  # the worker stops after its current token and lets go
        pass


def test_latency_frame_is_numeric_even_when_empty():
    assert str(render.latency_frame([]).dtypes["seconds"]) == "float64"


def test_escape_and_plain():
    assert render.escape("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"
    assert render.escape("\\<b>") == "\\\\&lt;b&gt;"
    assert render.plain('<img src="x">`a`') == "img src=xa"


# ---------------------------------------------------------------- the Blocks and the CLI


def test_demo_is_safe_by_default(engine):
    demo = build_demo(engine)
    chatbots = [b for b in demo.blocks.values() if isinstance(b, gr.Chatbot)]
    assert len(chatbots) == 2 and all(c.sanitize_html and c.allow_tags is False for c in chatbots)
    names = {d.api_name for d in demo.fns.values() if d.api_visibility == "public"}
    assert {"ask", "upload", "delete", "collection"} <= names
    fns = {d.api_name: d for d in demo.fns.values()}
    assert fns["upload"].concurrency_id == fns["delete"].concurrency_id == "model"
    assert (fns["upload"].concurrency_limit, fns["delete"].concurrency_limit) == (1, 1)
    # answers run side by side up to the scheduler's batch, never more
    assert (fns["ask"].concurrency_id, fns["ask"].concurrency_limit) == ("answer", engine.max_batch)


def test_cli_app_defaults_to_localhost():
    args = build_parser().parse_args(["app"])
    assert (args.host, args.port, args.index, args.model) == ("127.0.0.1", 7860, "app", "default")
    args = build_parser().parse_args(["app", "--host", "0.0.0.0", "--port", "9000", "--max-upload-mb", "5", "--no-sample"])
    assert (args.host, args.port, args.max_upload_mb, args.no_sample) == ("0.0.0.0", 9000, 5.0, True)


def test_cli_app_refuses_a_bad_upload_limit(capsys):
    from gmsa_rag.cli import main

    assert main(["app", "--max-upload-mb", "0"]) == 1
    assert "--max-upload-mb must be > 0" in capsys.readouterr().err
    assert main(["app", "--max-upload-files", "0"]) == 1
    assert "--max-upload-files must be >= 1" in capsys.readouterr().err


# ---------------------------------------------------------------- HTTP API of a launched server


def test_http_api_with_gradio_client(engine, tmp_path):
    from gradio_client import Client, handle_file

    settings = AppSettings(port=free_port(), max_upload_mb=LIMIT / 1e6, queue_size=4)
    demo = launch(engine, settings, block=False)
    try:
        assert demo.local_url.startswith(f"http://127.0.0.1:{settings.port}")
        client = Client(demo.local_url, verbose=False)
        summary = client.predict(api_name="/collection")[0]
        assert "3 documents" in summary

        doc = _files(tmp_path / "c", london__txt="London is the capital of England. The river is the Thames.")[0]
        status = client.predict(files=[handle_file(doc)], api_name="/upload")[0]
        assert "added: london.txt" in status
        evil, binary = _files(tmp_path / "c", evil__exe="MZ", binary__txt=b"\x00\x01 not text")
        with pytest.raises(Exception, match="Invalid file type"):  # Gradio's own type check
            client.predict(files=[handle_file(evil)], api_name="/upload")
        with pytest.raises(Exception, match="No file was indexed.*binary"):  # ours
            client.predict(files=[handle_file(binary)], api_name="/upload")
        big = _files(tmp_path / "c", big__txt="word " * LIMIT)[0]
        with pytest.raises(ValueError, match="exceeds the maximum file size of 4000 bytes"):
            client.predict(files=[handle_file(big)], api_name="/upload")  # the client reads the server's limit
        with open(big, "rb") as handle:  # and the server refuses it too
            response = httpx.post(f"{demo.local_url}gradio_api/upload", files={"files": ("big.txt", handle)})
        assert response.status_code == 413

        chat, full, plot, box = client.predict(
            question="what is the capital of england ?", gmsa_history=[], full_history=[], rate=4, top_k=2,
            compare=True, api_name="/ask",
        )
        assert box == ""
        assert "london.txt" in chat[1]["metadata"]["title"]
        assert "soft tokens for" in _text(chat[2]) and "full text" in _text(full[2])
        assert [row[2] for row in plot["data"]] == ["GMSA 4x", "full text"]

        with pytest.raises(Exception, match="Type a question"):
            client.predict(question="", gmsa_history=[], full_history=[], rate=4, top_k=2, compare=False, api_name="/ask")
        assert "deleted london.txt" in client.predict(doc_id="london.txt", api_name="/delete")[0]
        assert "3 documents" in client.predict(api_name="/collection")[0]  # still serving after errors
    finally:
        demo.close()


def test_settings_default_to_localhost():
    settings = AppSettings()
    assert settings.host == "127.0.0.1" and settings.max_upload_bytes == 20_000_000
    assert os.environ.get("GRADIO_SHARE", "") != "True"


def test_a_client_that_leaves_mid_answer_frees_its_batch_row(collection, tmp_path, monkeypatch):
    """A real server: a client that cancels a streaming answer and one that drops its connection
    each free their batch row before the answer's end; the server goes on answering."""
    from gradio_client import Client

    from gmsa_rag.model import decoding

    step = decoding.DecodeBatch.next_tokens

    def slow_step(self):  # ~300 tokens take seconds, so the clients leave mid-answer
        time.sleep(0.02)
        return step(self)

    monkeypatch.setattr(decoding.DecodeBatch, "next_tokens", slow_step)
    long = SamplingParams(max_new_tokens=300, ignore_eos=True)
    engine = AppEngine(collection, tmp_path / "uploads", max_upload_bytes=LIMIT, params=long, max_batch=4)
    demo = launch(engine, AppSettings(port=free_port(), queue_size=4), block=False)
    args = dict(question="what is the capital of france ?", gmsa_history=[], full_history=[], rate=4, top_k=2,
                compare=False)
    try:
        client = Client(demo.local_url, verbose=False)
        job = client.submit(**args, api_name="/ask")
        _wait_for(lambda: engine.scheduler.stats.rows == 1, "the answer to start decoding")
        job.cancel()
        _wait_for(lambda: engine.scheduler.stats.left == 1, "the cancelled row to leave")

        with httpx.Client(base_url=demo.local_url, timeout=30) as http:  # Gradio's REST API, by hand
            event = http.post("gradio_api/call/ask", json={"data": list(args.values())}).json()["event_id"]
            with http.stream("GET", f"gradio_api/call/ask/{event}") as response:
                for line in response.iter_lines():
                    if line.startswith("data:") and "capital" in line:
                        break  # the answer is streaming: drop the connection
        _wait_for(lambda: engine.scheduler.stats.left == 2, "the disconnected row to leave")
        assert engine.scheduler.stats.rows == 2
    finally:
        demo.close()
        engine.close()


def _wait_for(condition, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
