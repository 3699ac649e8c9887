"""The Debian documentation packages the corpus reads, and which of their files are prose.

Each :class:`DocSource` names a package (with the names it has in other Debian releases),
the format of its documents, and glob patterns over the paths inside the package: the
files to read and, among them, the ones to skip (translations, generated indexes, source
listings, API pages that repeat each other by the thousand). :data:`DOC_SOURCES` is the
default list, in the order the builder reads them (earlier sources win ties in duplicate
removal).

``debian-handbook`` and ``debian-reference-*`` are reserved for evaluation and can never be
a source (:func:`~gmsa_rag.training.corpora.debian.check_not_reserved`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.debian import check_not_reserved

FORMATS = ("html", "info", "man", "pod")


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

_MAN = ("usr/share/man/man*/*.gz",)
_INFO = ("usr/share/info/*.info*.gz",)
_SPHINX = ("*/_sources/*", "*/_modules/*", "*/_downloads/*", "*/_static/*", "*/genindex*.html", "*/search.html",
           "*/py-modindex.html")
_JAVADOC = ("*/class-use/*", "*-summary.html", "*-tree.html", "*/package-use.html", "*/index-files/*",
            "*/index-all.html", "*/index.html", "*/allclasses*.html", "*/allpackages*.html", "*/deprecated-list.html",
            "*/constant-values.html", "*/serialized-form.html", "*/overview-*.html", "*/help-doc.html",
            "*/search.html", "*-frame.html")

DOC_SOURCES: tuple[DocSource, ...] = (
    DocSource("linux-doc", ("linux-doc-6.1|linux-doc-6.12",), "html", ("usr/share/doc/linux-doc-*/html/*.html",),
              ("*/html/translations/*", "*/_sources/*", "*/genindex.html", "*/search.html", "*/py-modindex.html")),
    DocSource("python-doc", ("python3.11-doc|python3.12-doc|python3.13-doc",), "html",
              ("usr/share/doc/python3.*/html/*.html",),
              ("*/_sources/*", "*/genindex*.html", "*/search.html", "*/py-modindex.html", "*/download.html",
               "*/bugs.html", "*/copyright.html", "*/license.html")),
    DocSource("django-doc", ("python-django-doc",), "html", ("usr/share/doc/python-django-doc/html/*.html",),
              ("*/_modules/*", "*/_sources/*", "*/genindex.html", "*/search.html", "*/py-modindex.html")),
    DocSource("postgresql-doc", ("postgresql-doc-15|postgresql-doc-16|postgresql-doc-17",), "html",
              ("usr/share/doc/postgresql-doc-*/html/*.html",), ("*/bookindex.html", "*/release-*.html")),
    DocSource("sqlite-doc", ("sqlite3-doc",), "html", ("usr/share/doc/sqlite3/*.html",),
              ("*/releaselog/*", "*/changes.html", "*/sitemap.html", "*/keyword_index.html", "*/toc.html")),
    DocSource("nodejs-doc", ("nodejs-doc",), "html", ("usr/share/doc/nodejs/api/*.html",),
              ("*/all.html", "*/index.html")),
    DocSource("git-doc", ("git-doc",), "html", ("usr/share/doc/git-doc/*.html",), ("*/RelNotes/*",)),
    DocSource("octave-doc", ("octave-doc",), "html", ("usr/share/doc/octave/*.html",),
              ("*Index*.html", "*/index.html", "*/XREF*.html")),
    DocSource("gnuplot-doc", ("gnuplot-doc",), "html", ("usr/share/doc/gnuplot/htmldocs/*.html",)),
    DocSource("r-doc", ("r-doc-html",), "html", ("usr/share/R/doc/manual/*.html",)),
    DocSource("gnu-standards", ("gnu-standards",), "html", ("usr/share/doc/gnu-standards/*.html",)),
    DocSource("bash-doc", ("bash-doc",), "html", ("usr/share/doc/bash/bashref.html",)),
    DocSource("erlang-doc", ("erlang-doc",), "html", ("usr/share/doc/erlang-doc/*.html",),
              ("*/wx-*/*", "*_app.html", "*/release_notes.html", "*/notes.html", "*/search.html",
               "*/index.html", "*/*_index.html")),
    DocSource("rust-doc", ("rust-doc",), "html", ("usr/share/doc/rust-doc/html/*.html",),
              ("*/src/*", "*/core/arch/*", "*/core_arch/*", "*/std/arch/*", "*/implementors/*", "*/all.html",
               "*/print.html", "*/search*.html", "*/settings.html", "*/help.html", "*/unstable-book/*",
               "*/toc.html", "*/index.html", "*/book/first-edition/*", "*/book/second-edition/*",
               "*/book/2018-edition/*")),
    DocSource("openjdk-doc", ("openjdk-17-doc|openjdk-21-doc",), "html", ("usr/share/doc/openjdk-*/api/*.html",),
              ("*/class-use/*", "*-summary.html", "*-tree.html", "*/package-use.html", "*/index-files/*", "*/index.html",
               "*/allclasses*.html", "*/allpackages*.html", "*/deprecated-list.html", "*/constant-values.html",
               "*/serialized-form.html", "*/overview-*.html", "*/help-doc.html", "*/search.html")),
    # --- added from the package survey: manuals and guides first, API references last
    DocSource("racket-doc", ("racket-doc",), "html", ("usr/share/doc/racket/*.html",),
              ("usr/share/doc/racket/index.html", "*/search/*", "*/deinprogramm/*", "*/doc-index.html",
               "*/license/*", "*/release/*")),
    DocSource("llvm-doc", ("llvm-19-doc|llvm-15-doc",), "html", ("usr/share/doc/llvm-*-doc/html/*.html",),
              _SPHINX + ("*/AMDGPU/*", "*/ReleaseNotes.html")),
    DocSource("clang-doc", ("clang-19-doc|clang-15-doc",), "html", ("usr/share/doc/clang-*/html/*.html",),
              _SPHINX + ("*/ReleaseNotes.html",)),
    DocSource("ada-rm", ("ada-reference-manual-2020|ada-reference-manual-2012",), "html",
              ("usr/share/doc/ada-reference-manual-*/aarm*.html/*.html",)),  # the annotated manual holds all of the RM
    DocSource("gcl-doc", ("gcl-doc",), "html", ("usr/share/doc/gcl-doc/*.html",)),
    DocSource("sqlalchemy-doc", ("python-sqlalchemy-doc",), "html",
              ("usr/share/doc/python-sqlalchemy-doc/html/*.html",),
              _SPHINX + ("*/changelog/changelog_*.html", "*/contents.html", "*/copyright.html")),
    DocSource("libreoffice-help", ("libreoffice-help-en-us",), "html",
              ("usr/share/libreoffice/help/en-US/text/*.html",)),
    DocSource("gimp-help", ("gimp-help-en",), "html", ("usr/share/gimp/2.0/help/en/*.html",)),
    DocSource("apache2-doc", ("apache2-doc",), "html", ("usr/share/doc/apache2-doc/manual/en/*.html",),
              # these pages of en/ hold the Portuguese translation in Debian's package
              ("*/en/bind.html", "*/en/filter.html", "*/en/install.html", "*/en/invoking.html",
               "*/en/new_features_2_4.html", "*/en/upgrading.html", "*/en/sitemap.html", "*/en/index.html")),
    DocSource("exim4-doc", ("exim4-doc-html",), "html", ("usr/share/doc/exim4-doc-html/spec_html/*.html",)),
    DocSource("postfix-doc", ("postfix-doc",), "html", ("usr/share/doc/postfix/html/*.html",)),
    DocSource("zsh-doc", ("zsh-doc",), "html", ("usr/share/doc/zsh-common/html/*.html",), ("*-Index.html",)),
    DocSource("bind9-doc", ("bind9-doc",), "html", ("usr/share/doc/bind9-doc/arm/*.html",),
              _SPHINX + ("*/manpages.html", "*/changelog.html", "*/notes.html")),
    DocSource("lilypond-doc", ("lilypond-doc-html",), "html", ("usr/share/doc/lilypond/html/Documentation/*.html",),
              ("*-big-page.html", "*/internals/*", "*/web/attic.html", "*/gnu-free-documentation-license.html",
               "*/web/gpl.html", "*/web/fdl.html")),
    DocSource("swi-prolog-doc", ("swi-prolog-doc",), "html", ("usr/share/swi-prolog/doc/*.html",)),
    DocSource("gap-doc", ("gap-doc",), "html", ("usr/share/gap/doc/*.html",), ("*_mj.html",)),  # _mj: MathJax copies
    DocSource("povray-doc", ("povray-doc",), "html", ("usr/share/doc/povray/html/*.html",)),
    DocSource("db5.3-doc", ("db5.3-doc",), "html", ("usr/share/doc/db5.3-doc/*.html",),
              # the guides come in C, C++ and Java versions that differ in names only: C is kept
              ("*/csharp/*", "*/java/*", "*/CXX/*", "*/JAVA/*", "*/STL/*", "*/TCL/*")),
    DocSource("cmake-doc", ("cmake-doc",), "html", ("usr/share/doc/cmake-data/html/*.html",),
              _SPHINX + ("*/release/*",)),
    DocSource("dpdk-doc", ("dpdk-doc",), "html", ("usr/share/doc/dpdk/guides/*.html",), _SPHINX + ("*/rel_notes/*",)),
    DocSource("boost-doc", ("libboost1.81-doc|libboost1.83-doc",), "html",
              ("usr/share/doc/libboost*-doc/doc/html/*.html",), ("*/html/boost/*",)),
    DocSource("ghc-doc", ("ghc-doc",), "html", ("usr/share/doc/ghc-doc/html/*.html",),
              _SPHINX + ("*/src/*", "*/doc-index*.html", "*/index.html", "*/.build-html/*",
                         "*/libraries/ghc-[0-9]*", "*/libraries/ghc-prim-*", "*/libraries/ghc-bignum-*")),
    DocSource("sklearn-doc", ("python-sklearn-doc",), "html", ("usr/share/doc/python-sklearn-doc/html/*.html",),
              _SPHINX + ("*/whats_new/*",)),
    DocSource("sympy-doc", ("python-sympy-doc",), "html", ("usr/share/doc/python-sympy-doc/html/*.html",), _SPHINX),
    DocSource("pandas-doc", ("python-pandas-doc",), "html", ("usr/share/doc/python-pandas-doc/html/*.html",),
              _SPHINX + ("*/whatsnew/*",)),
    DocSource("scipy-doc", ("python-scipy-doc",), "html", ("usr/share/doc/python-scipy-doc/html/*.html",),
              _SPHINX + ("*/release.*.html",)),
    DocSource("astropy-doc", ("python-astropy-doc",), "html", ("usr/share/doc/python-astropy-doc/html/*.html",),
              _SPHINX + ("*/whatsnew/*", "*/changelog.html", "*/appendix/history.html", "*/credits.html")),
    DocSource("sagemath-doc", ("sagemath-doc",), "html", ("usr/share/doc/sagemath/html/en/*.html",),
              _SPHINX + ("*/reference/spkg/*", "*/reference/references/*", "*/en/website/*")),
    DocSource("glib-doc", ("libglib2.0-doc",), "html", ("usr/share/gtk-doc/html/*.html",),
              ("*/api-index-*.html", "*/annotation-glossary.html", "*/index.html")),
    DocSource("gtk3-doc", ("libgtk-3-doc",), "html", ("usr/share/gtk-doc/html/*.html",),
              ("*/api-index-*.html", "*/annotation-glossary.html", "*/index.html")),
    DocSource("cppreference", ("cppreference-doc-en-html",), "html", ("usr/share/cppreference/doc/html/en/*.html",)),
    DocSource("twisted-doc", ("twisted-doc",), "html", ("usr/share/doc/twisted-doc/html/*.html",),
              _SPHINX + ("*/api/classIndex.html", "*/api/nameIndex.html", "*/api/moduleIndex.html",
                         "*/api/undoccedSummary.html", "*/historic/*")),
    DocSource("grass-doc", ("grass-doc",), "html", ("usr/share/doc/grass-doc/html/*.html",)),
    DocSource("libvirt-doc", ("libvirt-doc",), "html", ("usr/share/doc/libvirt-doc/html/*.html",),
              ("*/manpages/*", "*/news.html")),
    DocSource("rsyslog-doc", ("rsyslog-doc",), "html", ("usr/share/doc/rsyslog-doc/html/*.html",), _SPHINX),
    DocSource("kea-doc", ("kea-doc",), "html", ("usr/share/doc/kea/html/*.html",),
              _SPHINX + ("*/man/*", "*/manpages.html", "*/grammar/*")),
    DocSource("openvswitch-doc", ("openvswitch-doc",), "html", ("usr/share/doc/openvswitch-doc/html/*.html",), _SPHINX),
    DocSource("shorewall-doc", ("shorewall-doc",), "html", ("usr/share/doc/shorewall-doc/html/*.htm*",)),
    DocSource("chezscheme-doc", ("chezscheme-doc",), "html", ("usr/share/doc/chezscheme-doc/html/*.html",)),
    DocSource("clisp-doc", ("clisp-doc",), "html", ("usr/share/doc/clisp/doc/impnotes.html",)),
    DocSource("csound-doc", ("csound-doc",), "html", ("usr/share/doc/csound-doc/html/*.html",)),
    DocSource("fontforge-doc", ("fontforge-doc",), "html", ("usr/share/doc/fontforge/*.html",),
              ("*/old/*",)),  # old/: outdated pages and half-translated Japanese ones
    DocSource("maxima-doc", ("maxima-doc",), "html", ("usr/share/doc/maxima-doc/html/*.html",),
              ("*_singlepage.html", "*/maxima_toc.html")),
    DocSource("ffmpeg-doc", ("ffmpeg-doc",), "html", ("usr/share/doc/ffmpeg/manual/*.html",), ("*-all.html",)),
    DocSource("buildbot-doc", ("buildbot-doc",), "html", ("usr/share/doc/buildbot/html/*.html",),
              _SPHINX + ("*/relnotes/*",)),
    DocSource("lava-doc", ("lava-server-doc",), "html", ("usr/share/doc/lava-server-doc/html/*.html",), _SPHINX),
    DocSource("wireshark-doc", ("wireshark-doc",), "html", ("usr/share/doc/wireshark/*.html",)),
    DocSource("gnucash-doc", ("gnucash-docs",), "html",
              ("usr/share/doc/gnucash-docs/gnucash-guide-en/*.html",
               "usr/share/doc/gnucash-docs/gnucash-help-en/*.html"),
              ("*/fdl*.html",)),
    DocSource("tomcat-doc", ("tomcat10-docs",), "html", ("usr/share/tomcat10-docs/docs/*.html",),
              ("*/api/*", "*/changelog.html")),
    DocSource("nova-doc", ("nova-doc",), "html", ("usr/share/doc/nova-doc/html/*.html",), _SPHINX),
    DocSource("neutron-doc", ("neutron-doc",), "html", ("usr/share/doc/neutron-doc/html/*.html",), _SPHINX),
    DocSource("cinder-doc", ("cinder-doc",), "html", ("usr/share/doc/cinder-doc/html/*.html",),
              _SPHINX + ("*/contributor/api/*",)),
    DocSource("ironic-doc", ("ironic-doc",), "html", ("usr/share/doc/ironic-doc/html/*.html",),
              _SPHINX + ("*/contributor/api/*",)),
    DocSource("mit-scheme-doc", ("mit-scheme-doc",), "html", ("usr/share/doc/mit-scheme-doc/html/*/*.html",)),
    DocSource("renpy-doc", ("renpy-doc",), "html", ("usr/share/doc/renpy/html/*.html",),
              _SPHINX + ("*/changelog*.html*",)),
    DocSource("giac-doc", ("giac-doc",), "html", ("usr/share/giac/doc/en/*.html",)),
    DocSource("ghostscript-doc", ("ghostscript-doc",), "html", ("usr/share/doc/ghostscript/html/*.html",),
              ("*/History*.html", "*/News.html")),
    DocSource("emscripten-doc", ("emscripten-doc",), "html", ("usr/share/doc/emscripten-doc/html/*.html",), _SPHINX),
    DocSource("numba-doc", ("numba-doc",), "html", ("usr/share/doc/numba-doc/html/*.html",),
              _SPHINX + ("*/release-notes.html",)),
    DocSource("fp-docs", ("fp-docs-3.2.2",), "html", ("usr/share/doc/fp-docs/*.html",)),
    DocSource("macaulay2-doc", ("macaulay2-common",), "html", ("usr/share/doc/Macaulay2/*.html",)),
    DocSource("lazarus-doc", ("lazarus-doc-2.2",), "html", ("usr/share/doc/lazarus/*/lcl/*.html",)),
    DocSource("petsc-doc", ("petsc3.18-doc",), "html", ("usr/share/doc/petsc3.18-doc/docs/*.html",),
              ("*/docs/src/*", "*/changes/*")),
    DocSource("derby-doc", ("derby-doc",), "html", ("usr/share/doc/derby-doc/*.html",), _JAVADOC),
    DocSource("qt5-doc", ("qtbase5-doc-html",), "html", ("usr/share/qt5/doc/*.html",),
              ("*-members.html", "*-obsolete.html", "*-attribution-*.html", "*-module.html", "*/index.html")),
    DocSource("info-manuals", ("coreutils", "tar", "grep", "gawk", "sed", "findutils", "diffutils"), "info", _INFO),
    DocSource("manpages", ("manpages", "manpages-dev"), "man", _MAN),
    DocSource("perl-doc", ("perl-doc",), "pod", ("usr/share/perl/*/pod/*.pod",), ("*/perl5*delta.pod",)),
)
