"""HTML documentation pages turned into prose paragraphs: :func:`html_to_doc`.

One generic rule serves every generator found in Debian's documentation packages (Sphinx,
rustdoc, mdBook, javadoc, DocBook, Erlang's docs, Texinfo, asciidoc, SQLite's and Node.js's
pages): the page's main region is located (the first of :data:`MAIN_REGIONS` present, else
``<body>``) and walked in document order.

Kept: the text of every block (``<p>``, ``<li>``, ``<dd>``, ``<blockquote>``, admonition
bodies, bare text directly inside a ``<div>``), one paragraph each, if it has a letter or
digit; inline markup inside a block (``<code>``, ``<a>``, ``<em>``, ``<var>``...) keeps its
text. A block nested in another (a ``<p>`` in a ``<li>``) ends the outer block's text, so
nothing comes out twice.

Dropped, with everything inside: scripts, styles, navigation, headers and footers, forms,
headings, code blocks (``<pre>``, highlight and example divs), tables (except the layout
table of an asciidoc admonition), definition terms ``<dt>`` (signatures, option names,
terms: rarely a sentence), and the boilerplate of each generator named in
:data:`DROP_CLASSES` and :data:`DROP_IDS` (sidebars, breadcrumbs, tables of contents,
permalinks, API summaries, inherited-member lists, type specs, copyright footers).
"""

from __future__ import annotations

import codecs
import re

import lxml.etree
import lxml.html

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.formats import ConvertedDoc

# the main region of a page, the first that matches wins; none: <body>
MAIN_REGIONS: tuple[str, ...] = (
    # Qt (qdoc): every page wraps its content in an unclosed div.header, a dropped class
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' mainContent ')]",
    "//div[@id='apicontent']",  # Node.js
    "//section[@id='main-content']",  # rustdoc
    "//*[@role='main']",  # Sphinx (div.body, RTD theme), javadoc (main)
    "//main",  # mdBook, javadoc
    "//div[@id='yui-main']",  # Django's Sphinx theme
    "//div[@class='body']",  # older Sphinx
    "//div[@id='content']",  # Erlang, asciidoc
    "//div[@class='fancy']",  # SQLite
    "//div[@class='header']/following-sibling::div[@class='contents']",  # Doxygen (elsewhere div.contents is a local TOC)
)
_MAIN_QUERIES = tuple(lxml.etree.XPath(query) for query in MAIN_REGIONS)
_HOLDS_SECTIONS = lxml.etree.XPath("boolean(.//section | .//div[@class='section'])")

# <dt> holds signatures, option names and terms: of 26,000 measured on the packages' pages,
# 0.3% read as a sentence (mostly git's FAQ questions); its <dd> is kept
DROP_TAGS = frozenset(
    "script style noscript template head title nav header footer aside form button input select "
    "textarea label svg math img iframe object embed canvas pre table h1 h2 h3 h4 h5 h6 dt "
    "summary".split()
)
DROP_ROLES = frozenset("navigation search banner contentinfo menu tablist".split())
DROP_CLASSES = frozenset(
    # Sphinx
    "headerlink toctree-wrapper sphinxsidebar related breadcrumbs wy-breadcrumbs "
    "rst-footer-buttons mobile-nav contents linenodiv viewcode-link footer admonition-title "
    # rustdoc, mdBook
    "sidebar mobile-topbar rightside out-of-band srclink anchor test-arrow item-info "
    "item-table docblock-short menu-bar nav-chapters nav-wrapper caption "
    # javadoc
    "summary inherited-list summary-table notes member-signature type-signature inheritance "
    "sub-title descfrm-type-label legal-copy table-tabs package-signature module-signature "
    # DocBook
    "navheader navfooter toc titlepage refsynopsisdiv cmdsynopsis funcsynopsis synopsis "
    "list-of-tables list-of-figures list-of-examples example "
    # Erlang
    "fun-types REFTYPES title-anchors topbar "
    # Texinfo, latex2html
    "header nav-panel section-toc mini-toc menu shortcontents copiable-anchor copiable-link "
    "navigation ChildLinks MATH "
    # SQLite, Node.js, asciidoc
    "nosearch codeblock imgcontainer api_metadata mark listingblock literalblock verseblock "
    "icon".split()
)
DROP_IDS = frozenset(
    "toc TOC footer header sidebar searchbox search-wrapper gtoc column2 leftnav menu-bar "
    "trait-implementations-list synthetic-implementations-list blanket-implementations-list "
    "implementors-list synthetic-implementors-list CHILD_LINKS".split()
)
# elements whose text runs on inside the enclosing block; every other element starts a block
INLINE_TAGS = frozenset(
    "a abbr acronym b bdi bdo big br cite code data del dfn em font i ins kbd mark nobr q s "
    "samp small span strike strong sub sup time tt u var wbr "
    "button img input label math select svg textarea".split()  # inline, but dropped
)

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def html_to_doc(markup: str | bytes, path: str = "") -> ConvertedDoc:
    """The title and prose paragraphs of one HTML page.

    ``markup`` is the page as text or as the file's bytes (decoded by the charset its
    ``<meta>`` names, else as UTF-8 with undecodable bytes replaced). ``path`` only names
    the page in error messages. Broken or empty markup gives what can be read of it, at
    worst ``ConvertedDoc("", ())``; only an argument that is neither str nor bytes raises
    :class:`~gmsa_rag.errors.InputError`.
    """
    if not isinstance(markup, (str, bytes)):
        kind = type(markup).__name__
        raise InputError(f"html_to_doc needs str or bytes, got {kind} for {path or 'a page'}")
    root = parse_page(markup)
    if root is None:
        return ConvertedDoc("", ())
    return ConvertedDoc(page_title(root), tuple(_paragraphs(_main_region(root))))


def parse_page(markup: str | bytes) -> lxml.html.HtmlElement | None:
    """The parsed page without comments and processing instructions; None if nothing parses.

    Bytes that name their charset (byte-order mark, ``<meta>``, XML declaration) are left to
    lxml to decode; other bytes, and text, are read as UTF-8. ``huge_tree`` lifts libxml2's
    nesting limit (256), past which it would silently stop reading.
    """
    if isinstance(markup, str):
        data, encoding = markup.encode("utf-8", errors="replace"), "utf-8"
    else:
        data, encoding = markup, (None if _declares_charset(markup) else "utf-8")
    parser = lxml.html.HTMLParser(encoding=encoding, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None
    lxml.etree.strip_tags(root, lxml.etree.Comment, lxml.etree.ProcessingInstruction)
    return root


def _declares_charset(data: bytes) -> bool:
    """Whether ``data`` names a charset lxml can use: a byte-order mark or a known one in its head."""
    if data.startswith(_BOMS):
        return True
    match = _XML_ENCODING.match(data) or _META_CHARSET.search(data, 0, 16384)
    if not match:
        return False
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return False
    return not name.startswith(("utf-16", "utf-32"))  # without a BOM these are mislabelled UTF-8


def page_title(root: lxml.html.HtmlElement) -> str:
    """The page's <title>, else its first <h1>, whitespace collapsed; "" if neither has text."""
    for node in (root.find("head/title"), root.find(".//h1")):
        if node is not None:
            text = _collapse(node.text_content()).rstrip("¶ ")
            if text:
                return text
    return ""


def _main_region(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The element holding the page's content: the first of :data:`MAIN_REGIONS`, else <body>."""
    for query in _MAIN_QUERIES:
        found = query(root)
        if found:
            return found[0]
    body = root.find("body")
    return body if body is not None else root


def _is_dropped(element: lxml.html.HtmlElement) -> bool:
    """Whether ``element`` and everything inside it is left out."""
    tag = element.tag
    if tag == "table":
        return not _is_admonition_layout(element)
    if tag in DROP_TAGS or element.get("role") in DROP_ROLES or element.get("id") in DROP_IDS:
        return True
    classes = element.get("class")
    if not classes:
        return False
    if "toctree-wrapper" in classes.split() and _HOLDS_SECTIONS(element):
        return False  # Sphinx singlehtml: the table of contents holds the chapters themselves
    return any(name in DROP_CLASSES or name.startswith("highlight") for name in classes.split())


def _is_admonition_layout(table: lxml.html.HtmlElement) -> bool:
    """Whether ``table`` only lays out an asciidoc admonition (icon cell + text cell)."""
    parent = table.getparent()
    return parent is not None and "admonitionblock" in (parent.get("class") or "").split()


def _paragraphs(region: lxml.html.HtmlElement) -> list[str]:
    """The text of each block inside ``region``, in document order, one line each."""
    paragraphs: list[str] = []
    pieces: list[str] = []

    def flush() -> None:
        text = _collapse("".join(pieces))
        pieces.clear()
        if any(ch.isalnum() for ch in text):  # "", "¶", "|", "–" and noise are no paragraph
            paragraphs.append(text)

    walk = lxml.etree.iterwalk(region, events=("start", "end"))
    for event, element in walk:
        tag = element.tag
        inline = tag in INLINE_TAGS
        if event == "start":
            if not inline:
                flush()
            if element is not region and _is_dropped(element):
                walk.skip_subtree()
                continue
            if tag == "br":
                pieces.append(" ")
            elif element.text:
                pieces.append(element.text)
        else:
            if not inline:
                flush()
            if element.tail and element is not region:
                pieces.append(element.tail)
    flush()
    return paragraphs


def _collapse(text: str) -> str:
    """``text`` on one line: runs of whitespace (no-break spaces too) as one space, stripped."""
    return " ".join(text.replace("\u200b", "").split())
