"""Evaluation and benchmarks, one concept per module:

* ``metrics``: EM / F1 / substring accuracy (SQuAD normalisation), BLEU, ROUGE-L, prefix-EM
  (pure Python, no torch);
* ``reconstruction``: autoencoder reconstruction of held-out texts;
* ``bench``: precompression throughput, query latency, store size;
* ``report``: all of them on the bundled evaluation set, cached per part; ``report_render``
  writes it as Markdown, JSON and plots.
"""
