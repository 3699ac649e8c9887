"""What a documentation source is: a Debian package, its format, and which of its files are prose.

:class:`DocSource` names a package (with the names it has in other Debian releases), the
format of its documents, and glob patterns over the paths inside the package: the files to
read and, among them, the ones to skip (translations, generated indexes, source listings,
API pages that repeat each other by the thousand). The ``*_JUNK`` patterns are the pages
every generator of a kind writes and no source wants. The lists of sources are in
:mod:`~gmsa_rag.training.corpora.doc_sources`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.debian import check_not_reserved

FORMATS = ("dictd", "html", "html-pre", "info", "man", "markdown", "pod")


@dataclass(frozen=True)
class DocSource:
    """One documentation package: where its prose files are and how to read them.

    Every package in ``packages`` is read; an entry ``"a|b"`` names one package by its
    names in several Debian releases, tried in order (``linux-doc-6.1`` in bookworm,
    ``linux-doc-6.12`` in trixie).
    Paths are matched with :func:`fnmatch.fnmatchcase`, where ``*`` also crosses ``/``.
    """

    name: str
    packages: tuple[str, ...]
    format: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InputError(f"source {self.name!r}: format must be one of {FORMATS}, got {self.format!r}")
        if not self.packages or not self.include:
            raise InputError(f"source {self.name!r} needs at least one package and one include pattern")
        for entry in self.packages:
            for package in alternatives(entry):
                check_not_reserved(package)

    def wants(self, path: str) -> bool:
        """Whether the file at ``path`` (inside the package) is one of this source's documents."""
        return any(fnmatchcase(path, p) for p in self.include) and not any(
            fnmatchcase(path, p) for p in self.exclude
        )



def alternatives(entry: str) -> tuple[str, ...]:
    """The package names of one ``packages`` entry (``"a|b"``: a, else b)."""
    return tuple(name.strip() for name in entry.split("|") if name.strip())

MAN_PAGES = ("usr/share/man/man*/*.gz",)
INFO_FILES = ("usr/share/info/*.info*.gz",)
SPHINX_JUNK = ("*/_sources/*", "*/_modules/*", "*/_downloads/*", "*/_static/*", "*/genindex*.html", "*/search.html",
           "*/py-modindex.html")
JAVADOC_JUNK = ("*/class-use/*", "*-summary.html", "*-tree.html", "*/package-use.html", "*/index-files/*",
            "*/index-all.html", "*/index.html", "*/allclasses*.html", "*/allpackages*.html", "*/deprecated-list.html",
            "*/constant-values.html", "*/serialized-form.html", "*/overview-*.html", "*/help-doc.html",
            "*/search.html", "*-frame.html")
# release notes, changelogs, licence and credits pages of Sphinx and hand-written manuals
DOXYGEN_JUNK = ("*_source.html", "*-members.html", "*/search/*", "*_8h.html", "*/globals*.html", "*/functions*.html",
                "*/namespacemembers*.html", "*/files.html", "*/annotated.html", "*/hierarchy.html", "*/classes.html",
                "*/inherits.html", "*/dir_*.html")
NOTES_JUNK = ("*/changelog*.html", "*/ChangeLog*.html", "*/Changelog*.html", "*/changes.html", "*/changes-*.html",
              "*/Changes.html", "*/CHANGES.html", "*/NEWS.html", "*/news.html", "*/News*.html", "*/history.html",
              "*/HISTORY.html", "*/release-notes*", "*/release_notes*", "*/releasenotes*", "*/ReleaseNotes*",
              "*/RELEASE-NOTES*", "*/releases/*", "*/whatsnew*", "*/whats_new*", "*/whats-new*", "*/announce/*",
              "*/license*.html", "*/License*.html", "*/copying.html", "*/credits.html", "*/authors.html")
