"""The gmsa_rag chat app: a Gradio Blocks UI over a :class:`~gmsa_rag.collection.Collection`.

    gmsa-rag app [--host 127.0.0.1] [--port 7860] [--index app] [--max-upload-mb 20]

Modules, each one concept:

* :mod:`app.uploads` – safe storage of uploaded files (names sanitised, type and size limits);
* :mod:`app.engine`  – the app's backend: collection operations and answers, under one lock;
* :mod:`app.render`  – turning answers, sources, stats and latencies into UI values (escaped);
* :mod:`app.ui`      – the Blocks layout and its callbacks;
* :mod:`app.main`    – settings, start-up (model, sample collection) and ``launch``;
* :mod:`app.loadgen` – concurrent gradio_client sessions against a server (load test, benchmark).

The app holds no algorithm: it calls the library (Collection, RAGPipeline).
"""
