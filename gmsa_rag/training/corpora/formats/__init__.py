"""Document formats of Debian's documentation packages, each turned into plain prose.

One module per format, each with one entry point that takes the file's text and returns
:class:`ConvertedDoc` records (title + prose paragraphs):

- ``dictd`` :func:`~gmsa_rag.training.corpora.formats.dictd.dictd_to_docs` (dictd dictionaries:
            FOLDOC, the Jargon File)
- ``html``  :func:`~gmsa_rag.training.corpora.formats.html.html_to_doc` (Sphinx, rustdoc,
            mdBook, javadoc, DocBook, Erlang's and Texinfo's HTML, plain pages)
- ``html-pre`` :func:`~gmsa_rag.training.corpora.formats.pretext.pre_html_to_doc` (plain-text
            manuals in ``<pre>``: Vim's help, HAProxy)
- ``info``  :func:`~gmsa_rag.training.corpora.formats.info.info_to_docs` (GNU Info manuals)
- ``roff``  :func:`~gmsa_rag.training.corpora.formats.roff.man_to_doc` (man pages; those in
            BSD's mdoc macros go to :func:`~gmsa_rag.training.corpora.formats.mdoc.mdoc_to_doc`)
- ``markdown`` :func:`~gmsa_rag.training.corpora.formats.markdown.markdown_to_doc` (rendered
            with markdown-it-py, then read as HTML)
- ``pod``   :func:`~gmsa_rag.training.corpora.formats.pod.pod_to_doc` (Perl's POD)

A converter keeps what a reader reads as running text (paragraphs, list items, definition
bodies, notes) and drops what is structure or code: navigation, headers and footers,
headings, code blocks and examples, command listings, option and API tables, menus. Each
paragraph comes back as one line with whitespace collapsed and no markup left. Whether a
paragraph is prose good enough to train on is decided later, by
:mod:`gmsa_rag.training.corpora.clean`, the same for every format.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConvertedDoc:
    """One document as a converter read it: its title and its prose paragraphs, in order."""

    title: str
    paragraphs: tuple[str, ...]

    @property
    def n_words(self) -> int:
        """Whitespace-separated words over all paragraphs."""
        return sum(len(p.split()) for p in self.paragraphs)
