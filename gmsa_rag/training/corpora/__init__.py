"""Training and evaluation text for GMSA, built from real English prose.

Two corpora. The bundled one (:func:`build_all`) downloads nothing: its text comes from
data files that ship inside the ``gensim`` wheel (its ``test/test_data`` folder), an
English Wikipedia excerpt in MediaWiki XML and Australian Broadcasting Corporation news
articles from the Lee et al. (2005) corpus. The documentation corpus
(:func:`~gmsa_rag.training.corpora.doc_corpus.build_doc_corpus`, ``gmsa-rag data build``)
reads Debian's documentation packages, fetched once with ``apt-get download`` into the
user cache. ``gmsa_rag/training/DATA_CARD.md`` describes sources, licences, cleaning, the
QA templates, the split rules and the measured counts.

The modules, in the order the data flows through them:

1. ``records``       the dataclasses: :class:`Article`, :class:`Passage`,
                     :class:`QAExample`, :class:`BuildSummary`
2. ``sources``       locate gensim's test data without importing gensim
3. ``wikitext``      :func:`clean_wikitext` turns MediaWiki markup into plain prose
4. ``wiki``          :func:`iter_wiki_pages`, :func:`load_articles` (Wikipedia)
5. ``news``          :func:`load_news` (ABC news) and near-duplicate removal
6. ``documents``     :func:`load_documents` (all of them) and :func:`split_of`, the
                     document-level train/heldout split by hash
7. ``passages``      :func:`split_sentences`, :func:`make_passages`,
                     :func:`autoencoder_passages` (stage-1 autoencoder text)
8. ``qa_vocab``,     rule-based question templates over sentences: word lists,
   ``qa_phrasing``,  shared question phrasing, the cloze templates (years,
   ``qa_cloze``,     percentages, counts) and the pattern templates with the
   ``qa_templates``  priority list of all of them
9. ``qa``            :func:`qa_from_passage`, :func:`qa_examples` (extractive QA triples
                     for KEFT and evaluation)
10. ``build``        :func:`write_jsonl`, :func:`build_all`

The documentation corpus, in the same order:

1. ``debian``        :func:`~debian.fetch_deb` (cached download), :func:`~debian.read_deb`
                     (files out of a ``.deb``, nothing extracted), :func:`~debian.deb_info`
2. ``doc_spec``      :class:`~doc_spec.DocSource`: a package, its format, path patterns;
   ``doc_sources``   :data:`~doc_sources.DOC_SOURCES`, the first survey's 83 sources then
                     ``doc_sources_more``' second survey
3. ``formats``       one converter per format (HTML, Info, man pages, POD) to paragraphs
4. ``clean``         the prose filter (English, no code) and the paragraph key
5. ``dedup``         exact (paragraphs) and near (passages, MinHash LSH) duplicates
6. ``qa_doc_phrasing``, ``qa_doc_values``, ``qa_doc_templates``: question templates for
                     documentation prose; ``doc_qa``: :func:`~doc_qa.doc_qa_examples`
7. ``doc_corpus``    :func:`~doc_corpus.build_doc_corpus`, which runs all of it

Everything is deterministic: no global RNG is touched; randomness comes from
``random.Random`` instances seeded from strings.
"""

from __future__ import annotations

from gmsa_rag.training.corpora.build import build_all, write_jsonl
from gmsa_rag.training.corpora.documents import (
    DEFAULT_HELDOUT_FRACTION,
    DEFAULT_SPLIT_SALT,
    SPLITS,
    load_documents,
    split_of,
)
from gmsa_rag.training.corpora.news import load_news
from gmsa_rag.training.corpora.passages import (
    autoencoder_passages,
    make_passages,
    split_sentences,
)
from gmsa_rag.training.corpora.qa import _FactIndex, qa_examples, qa_from_passage
from gmsa_rag.training.corpora.records import Article, BuildSummary, Passage, QAExample
from gmsa_rag.training.corpora.sources import (
    NEWS_FILES,
    NEWS_LICENSE,
    WIKI_DUMPS,
    WIKI_LICENSE,
    gensim_test_data_dir,
)
from gmsa_rag.training.corpora.wiki import iter_wiki_pages, load_articles
from gmsa_rag.training.corpora.wikitext import clean_wikitext

__all__ = [
    "Article",
    "Passage",
    "QAExample",
    "BuildSummary",
    "SPLITS",
    "gensim_test_data_dir",
    "clean_wikitext",
    "iter_wiki_pages",
    "load_articles",
    "load_news",
    "load_documents",
    "split_of",
    "split_sentences",
    "make_passages",
    "autoencoder_passages",
    "qa_from_passage",
    "qa_examples",
    "write_jsonl",
    "build_all",
]
