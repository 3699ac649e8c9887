"""Tests of gmsa_rag.training.corpora.formats.html on small pages shaped like each generator's."""

from __future__ import annotations

import pytest

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.formats import ConvertedDoc
from gmsa_rag.training.corpora.formats.html import html_to_doc

# --------------------------------------------------------------------------------------
# one page per generator, each with the boilerplate that generator puts around its text
# --------------------------------------------------------------------------------------

SPHINX = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Widgets &mdash; Gadget 2.1 documentation</title>
<script>var x = 1;</script><style>p { color: red }</style></head>
<body>
<div class="mobile-nav"><form class="search" role="search"><input name="q"></form></div>
<div class="related" role="navigation"><ul><li><a href="a.html">previous</a> |</li>
  <li><a href="b.html">next</a></li></ul></div>
<div class="document"><div class="documentwrapper"><div class="bodywrapper">
<div class="body" role="main">
<section id="widgets"><h1>Widgets<a class="headerlink" href="#widgets">¶</a></h1>
<p>A widget turns a <code class="docutils literal"><span class="pre">spec</span></code> into
a gadget.<a class="headerlink" href="#p">¶</a></p>
<div class="toctree-wrapper compound"><ul><li class="toctree-l1"><a href="x.html">Building widgets</a></li></ul></div>
<div class="highlight-python3 notranslate"><div class="highlight"><pre>widget = make(spec)</pre></div></div>
<div class="admonition note"><p class="admonition-title">Note</p>
<p>Widgets are never shared between threads.</p></div>
<dl class="py function"><dt class="sig sig-object py" id="make">make(<em>spec</em>)<a class="headerlink" href="#make">¶</a></dt>
<dd><p>Return a new widget built from <em>spec</em>.</p>
<div class="versionadded"><p><span class="versionmodified added">New in version 2.0.</span></p></div></dd></dl>
</section></div></div></div>
<div class="sphinxsidebar" role="navigation"><h3>Table of Contents</h3><ul><li><a href="#">Widgets</a></li></ul>
<div id="searchbox" role="search"><p>Quick search</p></div></div></div>
<div class="footer">&copy; Copyright 2024, The Gadget authors. Created using Sphinx.</div>
</body></html>"""


def test_sphinx_page_keeps_body_prose_and_drops_chrome():
    doc = html_to_doc(SPHINX)
    assert doc == ConvertedDoc(
        "Widgets — Gadget 2.1 documentation",
        (
            "A widget turns a spec into a gadget.",
            "Widgets are never shared between threads.",
            "Return a new widget built from spec.",
            "New in version 2.0.",
        ),
    )


RUSTDOC = """<!DOCTYPE html><html lang="en"><head><title>Gizmo in gadget::parts - Rust</title></head>
<body class="rustdoc struct">
<nav class="mobile-topbar"><button class="sidebar-menu-toggle">&#9776;</button></nav>
<nav class="sidebar"><h2 class="location"><a href="#">Gizmo</a></h2>
  <div class="sidebar-elems"><section><div class="block"><h3 class="sidebar-title">Methods</h3>
  <ul><li><a href="#method.spin">spin</a></li></ul></div></section></div></nav>
<main><div class="width-limiter"><div class="sub-container">
<nav class="sub"><form class="search-form"><input class="search-input"></form></nav></div>
<section id="main-content" class="content">
<div class="main-heading"><h1 class="fqn"><span class="in-band">Struct <a href="#">Gizmo</a></span></h1>
  <span class="out-of-band"><span class="since">1.0.0</span> · <a class="srclink" href="#">source</a></span></div>
<div class="docblock item-decl"><pre class="rust struct"><code>pub struct Gizmo { /* private fields */ }</code></pre></div>
<details class="rustdoc-toggle top-doc" open><summary class="hideme"><span>Expand description</span></summary>
<div class="docblock"><p>A part that spins when a <a href="#"><code>Gadget</code></a> runs.</p>
<h2 id="examples"><a href="#examples">Examples</a></h2>
<div class="example-wrap"><pre class="rust rust-example-rendered"><code>let g = Gizmo::new();</code></pre>
<a class="test-arrow" href="#">Run</a></div></div></details>
<h2 id="implementations" class="small-section-header">Implementations<a href="#implementations" class="anchor"></a></h2>
<div id="implementations-list"><details class="rustdoc-toggle implementors-toggle" open>
<summary><section id="impl" class="impl"><h3 class="code-header in-band">impl Gizmo</h3></section></summary>
<div class="impl-items"><details class="rustdoc-toggle method-toggle" open>
<summary><section id="method.spin" class="method"><span class="rightside"><a class="srclink" href="#">source</a></span>
<h4 class="code-header">pub fn spin(&amp;self)</h4></section></summary>
<span class="item-info"><div class="stab unstable">This is a nightly-only experimental API.</div></span>
<div class="docblock"><p>Spins the gizmo once.</p></div></details></div></details></div>
<h2 id="trait-implementations" class="small-section-header">Trait Implementations</h2>
<div id="trait-implementations-list"><details class="rustdoc-toggle implementors-toggle">
<summary><section id="impl-Debug" class="impl"><h3 class="code-header">impl Debug for Gizmo</h3></section></summary>
<div class="impl-items"><div class="docblock"><p>Formats the value using the given formatter. <a href="#">Read more</a></p></div></div>
</details></div>
</section></div></main></body></html>"""


def test_rustdoc_page_keeps_item_docs_and_drops_sidebar_signatures_and_trait_impls():
    doc = html_to_doc(RUSTDOC)
    assert doc.title == "Gizmo in gadget::parts - Rust"
    assert doc.paragraphs == ("A part that spins when a Gadget runs.", "Spins the gizmo once.")


MDBOOK = """<!DOCTYPE HTML><html lang="en" class="sidebar-visible no-js light"><head>
<meta charset="UTF-8"><title>Moving Parts - The Gadget Book</title></head><body>
<script>var path_to_root = "";</script>
<nav id="sidebar" class="sidebar"><div class="sidebar-scrollbox"><ol class="chapter">
<li class="chapter-item expanded"><a href="intro.html"><strong>1.</strong> Introduction</a></li></ol></div></nav>
<div id="page-wrapper" class="page-wrapper"><div class="page">
<div id="menu-bar" class="menu-bar sticky bordered"><h1 class="menu-title">The Gadget Book</h1>
<button id="sidebar-toggle" class="icon-button">menu</button></div>
<div id="search-wrapper" class="hidden"><form id="searchbar-outer"><input id="searchbar"></form></div>
<div id="content" class="content"><main>
<h1 id="moving-parts"><a class="header" href="#moving-parts">Moving Parts</a></h1>
<p>Every gadget has <em>moving parts</em>, and each one wears out.</p>
<blockquote><p><strong>Note</strong>: oil them once a year.</p></blockquote>
<ul><li>Gears turn.</li><li>Springs push back.</li></ul>
<pre><code class="language-rust">fn main() {}</code></pre>
</main>
<nav class="nav-wrapper" aria-label="Page navigation"><a rel="prev" href="intro.html">Previous</a>
<a rel="next" href="springs.html">Next</a></nav></div></div></div></body></html>"""


def test_mdbook_page_keeps_main_and_drops_sidebar_menu_and_chapter_links():
    doc = html_to_doc(MDBOOK)
    assert doc == ConvertedDoc(
        "Moving Parts - The Gadget Book",
        (
            "Every gadget has moving parts, and each one wears out.",
            "Note: oil them once a year.",
            "Gears turn.",
            "Springs push back.",
        ),
    )


JAVADOC = """<!DOCTYPE HTML><html lang="en"><head><title>Crate (Gadget API)</title></head>
<body class="class-declaration-page">
<noscript><div>JavaScript is disabled on your browser.</div></noscript>
<div class="flex-box"><header role="banner" class="flex-header"><nav role="navigation">
<div class="top-nav" id="navbar-top"><ul class="nav-list"><li><a href="index.html">Overview</a></li></ul></div>
<div class="sub-nav"><ul class="sub-nav-list"><li>Summary:&nbsp;</li><li><a href="#method-summary">Method</a></li></ul></div>
</nav></header>
<div class="flex-content"><main role="main">
<div class="header"><div class="sub-title"><span class="package-label-in-type">Package</span>&nbsp;<a href="package-summary.html">org.gadget</a></div>
<h1 title="Class Crate" class="title">Class Crate</h1></div>
<div class="inheritance"><a href="#">java.lang.Object</a><div class="inheritance">org.gadget.Crate</div></div>
<section class="class-description" id="class-description">
<dl class="notes"><dt>All Implemented Interfaces:</dt><dd><code><a href="#">Serializable</a></code></dd></dl>
<hr><div class="type-signature"><span class="modifiers">public class </span><span class="element-name">Crate</span></div>
<div class="block">A box that holds <code>Gadget</code> parts.
<p>A crate never holds more parts than its capacity.</p>
<table class="striped"><tr><th>Size</th><th>Capacity</th></tr><tr><td>small</td><td>Holds ten parts.</td></tr></table></div>
<dl class="notes"><dt>Since:</dt><dd>1.2</dd></dl></section>
<section class="summary"><ul class="summary-list"><li><section class="method-summary" id="method-summary">
<h2>Method Summary</h2><div class="summary-table two-column-summary">
<div class="col-first"><code><a href="#size()">size</a>()</code></div>
<div class="col-last"><div class="block">Returns the number of parts in this crate.</div></div></div>
<div class="inherited-list"><h3 id="methods-inherited-from-class-java.lang.Object">Methods inherited from class&nbsp;java.lang.Object</h3>
<code><a href="#">equals</a>, <a href="#">hashCode</a>, <a href="#">toString</a></code></div>
</section></li><li><section class="services-summary"><h2>Services</h2>
<div class="details-table two-column-summary"><div class="col-first"><a href="#">Spinner</a></div>
<div class="col-last"><div class="block">A service that spins crates.</div></div></div>
</section></li></ul></section>
<section class="details"><ul class="details-list"><li><section class="method-details" id="method-detail">
<h2>Method Details</h2><ul class="member-list"><li><section class="detail" id="size()">
<h3>size</h3><div class="member-signature"><span class="modifiers">public</span>&nbsp;<span class="return-type">int</span>&nbsp;<span class="element-name">size</span>()</div>
<div class="block">Returns the number of parts in this crate.</div>
<dl class="notes"><dt>Returns:</dt><dd>the number of parts</dd></dl>
</section></li></ul></section></li></ul></section>
</main><footer role="contentinfo"><p class="legal-copy"><small>Copyright &copy; 2024, Gadget Inc.</small></p></footer>
</div></div></body></html>"""


def test_javadoc_page_keeps_description_and_details_and_drops_summaries_and_notes():
    doc = html_to_doc(JAVADOC)
    assert doc == ConvertedDoc(
        "Crate (Gadget API)",
        (
            "A box that holds Gadget parts.",
            "A crate never holds more parts than its capacity.",
            "Returns the number of parts in this crate.",
        ),
    )
    assert not any("inherited" in p or "equals" in p for p in doc.paragraphs)


DOCBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" /><title>4.2. Locking</title></head>
<body id="docContent"><div class="navheader"><table width="100%"><tr><th colspan="5">4.2. Locking</th></tr>
<tr><td><a accesskey="p" href="a.html">Prev</a> </td><td><a accesskey="u" href="u.html">Up</a></td>
<th>Chapter 4. Concurrency</th><td><a accesskey="n" href="n.html">Next</a></td></tr></table><hr /></div>
<div class="sect1" id="LOCKING"><div class="titlepage"><div><div><h2 class="title">4.2. Locking</h2></div></div></div>
<a id="id-1.2.3" class="indexterm"></a>
<p><span class="productname">GadgetDB</span> takes a <acronym class="acronym">row</acronym> lock
  before every update.</p>
<div class="toc"><dl class="toc"><dt><span class="sect2"><a href="#x">4.2.1. Row Locks</a></span></dt></dl></div>
<div class="note"><h3 class="title">Note</h3><p>Locks are released at commit.</p></div>
<div class="variablelist"><dl class="variablelist"><dt><span class="term"><code class="literal">NOWAIT</code></span></dt>
<dd><p>Fail at once instead of waiting.</p></dd></dl></div>
<pre class="programlisting">SELECT * FROM parts FOR UPDATE;</pre>
<div class="example" id="EX"><p class="title"><strong>Example 4.1. Locking a row</strong></p>
<div class="example-contents"><pre class="programlisting">LOCK parts;</pre></div></div>
</div>
<div class="navfooter"><hr /><table width="100%"><tr><td><a href="a.html">Prev</a></td><td>Home</td></tr></table></div>
</body></html>"""


def test_docbook_page_keeps_sect_prose_and_drops_nav_toc_and_listings():
    doc = html_to_doc(DOCBOOK)
    assert doc == ConvertedDoc(
        "4.2. Locking",
        (
            "GadgetDB takes a row lock before every update.",
            "Locks are released at commit.",
            "Fail at once instead of waiting.",
        ),
    )
    assert html_to_doc(DOCBOOK.encode("utf-8")) == doc  # the XML declaration, as bytes too


TEXINFO = """<!DOCTYPE html><html><head><title>Spinning (Gadget Manual)</title>
<meta name="generator" content="makeinfo"></head><body>
<div class="section" id="Spinning">
<div class="header"><p>Next: <a href="Stopping.html" accesskey="n" rel="next">Stopping</a>,
  Up: <a href="Parts.html" accesskey="u" rel="up">Parts</a> &nbsp; [<a href="index.html#SEC_Contents">Contents</a>]</p></div>
<hr><h3 class="section">2.1 Spinning</h3>
<p>To spin a gadget, call <code>spin</code> with its <var>speed</var>:</p>
<div class="example"><pre class="example">spin (g, 3)</pre></div>
<table class="menu" border="0" cellspacing="0"><tr><td>&bull; <a href="Fast.html">Fast</a></td><td>Spinning fast.</td></tr></table>
<ul class="mini-toc"><li><a href="Slow.html">Slow spinning</a></li></ul>
<dl class="def"><dt id="index-spin"><span class="category">: </span><strong>spin</strong> <em>(<var>g</var>, <var>speed</var>)</em>
<a href="#index-spin" class="copiable-anchor"> &para;</a></dt>
<dd><p>Spin <var>g</var> at <var>speed</var> turns per second.</p></dd></dl>
<hr><div class="header"><p>Next: <a href="Stopping.html">Stopping</a></p></div></div>
</body></html>"""


def test_texinfo_page_drops_header_menu_and_definition_lines():
    assert html_to_doc(TEXINFO) == ConvertedDoc(
        "Spinning (Gadget Manual)",
        ("To spin a gadget, call spin with its speed:", "Spin g at speed turns per second."),
    )


ERLANG = """<html><head><title>Erlang -- gizmo</title></head><body><div id="container">
<div class="topbar"><div class="topbar-title"><h1>gizmo</h1></div></div>
<aside id="leftnav"><nav class="leftnav-tube"><ul class="flipMenu"><li><a href="#">spin/1</a></li></ul></nav></aside>
<div id="content"><div class="innertube"><center><h1>gizmo</h1></center></div>
<div class="innertube"><h3 id="description" class="title-link"><div class="title-name">Description</div></h3>
<div class="REFBODY description-body"><p>This module spins gizmos.</p></div></div>
<div class="exports-body"><article class="func"><h4 id="spin-1" class="title-link func-head">
<div class="title-anchors"><span class="ghlink-before"><a href="#">link</a></span></div>
<span class="title-name">spin(Gizmo) -&gt; ok</span></h4>
<div class="REFBODY fun-types"><h3 class="func-types-title">Types</h3>
<div class="REFTYPES rt-1"><span class="bold_code">Gizmo = gizmo()</span></div>
<div class="REFBODY rb-1">An opaque gizmo.</div></div>
<div class="exports-tube"><div class="REFBODY rb-7"><p>Spins <span class="code">Gizmo</span> once.</p>
<div class="example"><pre>&gt; gizmo:spin(G).</pre></div></div></div></article></div>
<div class="footer"><hr><p>Copyright &copy; 1997-2024 Ericsson AB. All Rights Reserved.</p></div>
</div></div></body></html>"""


def test_erlang_page_drops_type_specs_and_footer():
    assert html_to_doc(ERLANG).paragraphs == ("This module spins gizmos.", "Spins Gizmo once.")


NODE = """<!DOCTYPE html><html><head><title>Gizmo | Gadget v1.2 Documentation</title></head>
<body><div id="content" class="clearfix">
<div id="column2" class="interior"><div id="intro" class="interior"><a href="/">Gadget</a></div>
<ul><li><a class="nav-gizmo" href="gizmo.html">Gizmo</a></li></ul></div>
<div id="column1" class="interior"><header class="header"><div class="header-container">
<h1>Gadget v1.2 documentation</h1></div><div id="gtoc"><ul><li class="pinned-header">Gadget v1.2</li></ul></div></header>
<details id="toc"><summary>Table of contents</summary><ul><li><a href="#gizmo">Gizmo</a></li></ul></details>
<div id="apicontent"><h2>Gizmo<span><a class="mark" href="#gizmo" id="gizmo">#</a></span></h2>
<div class="api_metadata"><details class="changelog"><summary>History</summary>
<table><tr><td>v1.1</td><td><p>Gizmos became stable.</p></td></tr></table></details>
<span>Added in: v1.0</span></div>
<p>The <code>gadget:gizmo</code> module spins things.</p>
<pre><code class="language-mjs">import gizmo from 'gadget:gizmo';</code></pre>
</div></div></div></body></html>"""


def test_node_page_keeps_apicontent_and_drops_nav_toc_and_history():
    assert html_to_doc(NODE) == ConvertedDoc(
        "Gizmo | Gadget v1.2 Documentation", ("The gadget:gizmo module spins things.",)
    )


def test_asciidoc_admonition_table_is_read_but_other_tables_are_not():
    page = """<html><body><div id="header"><h1>gizmo(1) Manual Page</h1></div><div id="content">
<div class="paragraph"><p>Run the gizmo.</p></div>
<div class="admonitionblock"><table><tr><td class="icon"><div class="title">Note</div></td>
<td class="content">The gizmo never stops on its own.</td></tr></table></div>
<table><tr><td>An option table cell.</td></tr></table>
</div><div id="footer"><div id="footer-text">Last updated 2024-01-01</div></div></body></html>"""
    assert html_to_doc(page) == ConvertedDoc(
        "gizmo(1) Manual Page", ("Run the gizmo.", "The gizmo never stops on its own.")
    )


# --------------------------------------------------------------------------------------
# block structure, inline markup, whitespace
# --------------------------------------------------------------------------------------


def test_inline_markup_keeps_its_text_and_entities_are_decoded():
    page = (
        "<p>The <code>open()</code> function returns a <a href='#'>file object</a>.</p>"
        "<p>Press <kbd>Ctrl</kbd>+<kbd>C</kbd> to stop <tt>cat</tt>; set <var>n</var> &amp; "
        "<em>m</em>&nbsp;&lt;&nbsp;10.</p>"
    )
    assert html_to_doc(page).paragraphs == (
        "The open() function returns a file object.",
        "Press Ctrl+C to stop cat; set n & m < 10.",
    )


def test_nested_list_items_and_paragraphs_come_out_once_in_order():
    page = """<body><div>Bare text of the div.
<ul><li><p>First item.</p><ul><li>Nested <b>one</b>.</li><li>Nested two.</li></ul></li>
<li>Second item, <em>no</em> paragraph.</li><li>Third item<ol><li>inner</li></ol>and its tail.</li></ul>
More bare text.<blockquote>A quoted remark.</blockquote></div></body>"""
    assert html_to_doc(page).paragraphs == (
        "Bare text of the div.",
        "First item.",
        "Nested one.",
        "Nested two.",
        "Second item, no paragraph.",
        "Third item",
        "inner",
        "and its tail.",
        "More bare text.",
        "A quoted remark.",
    )


def test_whitespace_is_collapsed_to_one_line():
    page = "<p>  Spread\n\tover\u00a0\u00a0lines,<br>with a break\u200b and   spaces. </p>"
    assert html_to_doc(page).paragraphs == ("Spread over lines, with a break and spaces.",)


def test_title_falls_back_to_the_first_h1_and_then_to_nothing():
    assert html_to_doc("<h1>Gizmo <a class='headerlink'>¶</a></h1><p>Text.</p>").title == "Gizmo"
    assert html_to_doc("<html><head><title> </title></head><body><h1>Spare</h1></body></html>").title == "Spare"
    assert html_to_doc("<p>Only text.</p>") == ConvertedDoc("", ("Only text.",))


def test_deep_nesting_is_read_to_the_end():
    page = "<p>Before.</p>" + "<div>" * 400 + "<p>Deep.</p>" + "</div>" * 400 + "<p>After.</p>"
    assert html_to_doc(page).paragraphs == ("Before.", "Deep.", "After.")


# --------------------------------------------------------------------------------------
# bytes and odd input
# --------------------------------------------------------------------------------------


def test_bytes_are_decoded_by_their_meta_charset():
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        "<title>Caf\xe9</title></head><body><p>A na\xefve caf\xe9 \xa9 1999.</p></body></html>"
    ).encode("latin-1")
    assert html_to_doc(page) == ConvertedDoc("Café", ("A naïve café © 1999.",))
    html5 = '<meta charset="windows-1252"><p>\u201cQuoted\u201d.</p>'.encode("cp1252")
    assert html_to_doc(html5).paragraphs == ("\u201cQuoted\u201d.",)


def test_bytes_without_charset_are_utf8_with_replacement():
    assert html_to_doc("<p>Café über.</p>".encode("utf-8")).paragraphs == ("Café über.",)
    assert html_to_doc(b"<p>caf\xe9 ok</p>").paragraphs == ("caf\ufffd ok",)
    unknown = b'<meta charset="x-no-such-charset"><p>caf\xc3\xa9</p>'
    assert html_to_doc(unknown).paragraphs == ("café",)


@pytest.mark.parametrize(
    "markup",
    ["", "   \n ", b"", b"\x00\x00", "<!-- only a comment -->", "<html><head></head></html>", "<<<>>>&&&;"],
)
def test_empty_and_garbage_input_give_an_empty_doc(markup):
    assert html_to_doc(markup) == ConvertedDoc("", ())


def test_binary_noise_never_raises():
    noise = bytes(range(256)) * 8
    doc = html_to_doc(noise, "noise.html")
    assert isinstance(doc, ConvertedDoc) and all("\n" not in p for p in doc.paragraphs)
    assert html_to_doc("<p>a\ud800b</p>").paragraphs == ("a?b",)  # a lone surrogate


@pytest.mark.parametrize("bad", [None, 42, ["<p>x</p>"], bytearray(b"<p>x</p>")])
def test_non_text_argument_raises_input_error(bad):
    with pytest.raises(InputError, match="str or bytes"):
        html_to_doc(bad, "page.html")


def test_same_input_same_output():
    for page in (SPHINX, RUSTDOC, MDBOOK, JAVADOC, DOCBOOK, TEXINFO, ERLANG, NODE):
        first = html_to_doc(page)
        assert first.paragraphs, "every sample page has prose"
        assert html_to_doc(page) == first
        assert html_to_doc(page.encode("utf-8")) == first


QT = """<html><head><title>QGizmo Class | Qt Core 5.15.8</title></head><body>
<div class="header" id="qtdocheader"><div class="main"><div class="main-rounded">
<div class="navigationbar"><ul><li><a href="index.html">Qt 5.15</a></li></ul></div>
<div class="content"><div class="line"><div class="content mainContent">
<div class="sidebar"><div class="toc"><h3>Contents</h3><ul><li><a href="#details">Detailed Description</a></li></ul></div></div>
<h1 class="title">QGizmo Class</h1>
<div class="table"><table class="alignedsummary"><tr><td>Header:</td><td>#include &lt;QGizmo&gt;</td></tr></table></div>
<div class="descr"><h2 id="details">Detailed Description</h2>
<p>The QGizmo class spins a gadget until it is told to stop.</p></div>
</div></div></div></div></div></body></html>"""


def test_qt_page_reads_main_content_inside_its_unclosed_header():
    assert html_to_doc(QT) == ConvertedDoc(
        "QGizmo Class | Qt Core 5.15.8", ("The QGizmo class spins a gadget until it is told to stop.",)
    )


DOXYGEN = """<!DOCTYPE html><html><head><title>Gadget: gdWidget Class Reference</title></head><body>
<div id="top"><div id="titlearea"><div id="projectname">Gadget 1.0</div></div></div>
<div id="main-nav"><ul><li><a href="index.html">Main Page</a></li></ul></div>
<div class="header"><div class="summary"><a href="#pub-methods">Public Member Functions</a></div>
<div class="headertitle"><div class="title">gdWidget Class Reference</div></div></div><!--header-->
<div class="contents">
<p><code>#include &lt;gd/widget.h&gt;</code></p>
<h2 class="groupheader">Detailed Description</h2>
<div class="textblock"><p>This class turns a spec into a gadget that the user can see.</p></div>
<table class="memberdecls"><tr><td>void</td><td><a href="#a1">spin</a> ()</td></tr></table>
<div class="memitem"><div class="memproto"><table class="memname"><tr><td>void spin ()</td></tr></table></div>
<div class="memdoc"><p>Spin the widget once around its axis.</p></div></div>
</div>
<hr class="footer"/><address class="footer"><small>Generated by doxygen 1.9.4</small></address>
</body></html>"""


def test_doxygen_page_reads_its_contents_div_after_the_header():
    doc = html_to_doc(DOXYGEN)
    assert doc.paragraphs == (
        "#include <gd/widget.h>",
        "This class turns a spec into a gadget that the user can see.",
        "Spin the widget once around its axis.",
    )


SINGLEHTML = """<html><head><title>Gadget Guide</title></head><body>
<div class="body" role="main"><section id="gadget-guide"><h1>Gadget Guide</h1>
<p>This guide explains gadgets.</p>
<section id="table-of-contents"><h2>Table of Contents</h2>
<div class="toctree-wrapper compound"><span id="document-intro"></span>
<section id="introduction"><h2>Introduction</h2><p>A gadget is built from widgets.</p></section>
</div></section></section>
<div class="toctree-wrapper compound"><ul><li class="toctree-l1"><a href="intro.html">Introduction</a></li></ul></div>
</div></body></html>"""


def test_sphinx_singlehtml_reads_the_chapters_inside_its_table_of_contents():
    assert html_to_doc(SINGLEHTML).paragraphs == ("This guide explains gadgets.", "A gadget is built from widgets.")
