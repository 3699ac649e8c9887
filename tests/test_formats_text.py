"""The plain-text documentation formats: GNU Info, man pages (roff), Perl POD, mdoc, text in
<pre>, Markdown and dictd dictionaries.

Every sample is written here, a few lines in the shape of the real format.
"""

from __future__ import annotations

import pytest

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.clean import prose_paragraphs
from gmsa_rag.training.corpora.formats import ConvertedDoc
from gmsa_rag.training.corpora.formats import dictd as dictd_module
from gmsa_rag.training.corpora.formats.dictd import dictd_to_docs
from gmsa_rag.training.corpora.formats import info as info_module
from gmsa_rag.training.corpora.formats.info import info_to_docs
from gmsa_rag.training.corpora.formats.markdown import markdown_to_doc
from gmsa_rag.training.corpora.formats.mdoc import mdoc_to_doc
from gmsa_rag.training.corpora.formats.pod import pod_to_doc
from gmsa_rag.training.corpora.formats.pretext import pre_html_to_doc
from gmsa_rag.training.corpora.formats.roff import man_to_doc

# ---------------------------------------------------------------------------- GNU Info


def _node(name: str, up: str, body: str) -> str:
    return f"\x1f\nFile: demo.info,  Node: {name},  Next: X,  Up: {up}\n\n{body}\n"


_INFO_PREAMBLE = (
    "This is demo.info, produced by makeinfo version 6.8 from demo.texi.\n\n"
    "INFO-DIR-SECTION Demo\nSTART-INFO-DIR-ENTRY\n* Demo: (demo).  A demo.\nEND-INFO-DIR-ENTRY\n"
)
_INFO_TOP = _node("Top", "(dir)", (
    "Demo Tool\n*********\n\n"
    "This manual documents the demo tool, a small program for tests.\n\n"
    "* Menu:\n\n* Overview::       What it does.\n* Index::          Where to look.\n"
))
_INFO_CHAPTER = _node("Overview", "Top", (
    "1 Overview\n**********\n\n"
    "The ‘demo’ program copies each FILE to standard output, or reads\n"
    "standard input when none is given.  *Note Invoking demo::.\n\n"
    "   Use the ‘-v’ option to print each file.  This is _not_ the default,\n"
    "see *note Options: (demo)Invoking. for the others.\n\n"
    "     demo -v one.txt two.txt\n\n"
    "‘-q’\n‘--quiet’\n"
    "     Print nothing at all, even when an error happens while reading\n"
    "     a file.\n\n"
    " -- Function: int demo_copy (const char *NAME)\n"
    "     Copy the file NAME and return zero when it worked.\n\n"
    "   • A bullet item that wraps onto a second line because it is quite\n"
    "     long.\n\n"
    "   • A short item.\n\n"
    "   The program follows the standard(1) closely, unlike ‘f(1)’.\n\n"
    "   ---------- Footnotes ----------\n\n   (1) https://example.org/standard\n"
))
_INFO_SECTION = _node("Details", "Overview", (
    "1.1 Details\n===========\n\n"
    "A section of the first chapter, kept in the chapter's document.\n\n"
    "     Note: Notes are kept even though they are indented like an\n"
    "     example.\n"
))
_INFO_INDEX = _node("Index", "Top", (
    "Index\n*****\n\n\x00\x08[index\x00\x08]\n* Menu:\n\n* demo:    Overview.   (line 6)\n"
))
_INFO_LICENCE = _node("GNU Free Documentation License", "Top", (
    "Appendix A GNU Free Documentation License\n"
    "*****************************************\n\n"
    "Everyone is permitted to copy and distribute verbatim copies of this\nlicense document.\n"
))
_INFO_TAGS = "\x1f\nTag Table:\nNode: Top\x7f120\nNode: Overview\x7f400\n\x1f\nEnd Tag Table\n"
INFO_SAMPLE = "".join(
    (_INFO_PREAMBLE, _INFO_TOP, _INFO_CHAPTER, _INFO_SECTION, _INFO_INDEX, _INFO_LICENCE, _INFO_TAGS)
)


@pytest.fixture
def small_info_docs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the short samples stand as documents of their own."""
    monkeypatch.setattr(info_module, "MIN_DOC_WORDS", 1)


def test_info_chapters_keep_prose_and_drop_structure(small_info_docs: None) -> None:
    docs = info_to_docs(INFO_SAMPLE, "demo.info")
    assert [doc.title for doc in docs] == ["Demo Tool", "Overview"]
    assert docs[0].paragraphs == ("This manual documents the demo tool, a small program for tests.",)
    assert docs[1].paragraphs == (
        "The demo program copies each FILE to standard output, or reads standard input when "
        "none is given. See Invoking demo.",
        "Use the -v option to print each file. This is not the default, see Options for the others.",
        "Print nothing at all, even when an error happens while reading a file.",
        "Copy the file NAME and return zero when it worked.",
        "A bullet item that wraps onto a second line because it is quite long.",
        "A short item.",
        "The program follows the standard closely, unlike f(1).",
        "A section of the first chapter, kept in the chapter's document.",
        "Note: Notes are kept even though they are indented like an example.",
    )


def test_info_definition_lists_examples_and_ascii_quotes(small_info_docs: None) -> None:
    body = (
        "2 Terms\n*******\n\n"
        "glossary term\n\n"
        "     The body of a definition list entry, set below its term in the\n"
        "     way Sphinx writes a glossary.\n\n"
        "A paragraph that shows an example, quoting 'grep -v' in old style:\n\n"
        "     $ grep -v x\n     $ echo done\n\n"
        "   x     y     a table row\n"
    )
    docs = info_to_docs(_node("Top", "(dir)", "Top\n***\n") + _node("Terms", "Top", body))
    assert docs == [ConvertedDoc("Terms", (
        "The body of a definition list entry, set below its term in the way Sphinx writes a glossary.",
        "A paragraph that shows an example, quoting grep -v in old style:",
    ))]


def test_info_splits_big_chapters_and_merges_small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(info_module, "MIN_DOC_WORDS", 1)
    monkeypatch.setattr(info_module, "MAX_DOC_WORDS", 40)  # the Overview chapter holds more
    titles = [doc.title for doc in info_to_docs(INFO_SAMPLE)]
    assert titles == ["Demo Tool", "Overview", "Details"]
    monkeypatch.setattr(info_module, "MIN_DOC_WORDS", 15)  # the Top piece is too small alone
    docs = info_to_docs(INFO_SAMPLE)
    assert [doc.title for doc in docs] == ["Demo Tool", "Details"]
    assert docs[0].paragraphs[1].startswith("The demo program copies")


def test_info_default_sizes_keep_a_small_manual_in_one_document() -> None:
    docs = info_to_docs(INFO_SAMPLE)
    assert len(docs) == 1 and docs[0].title == "Demo Tool"
    assert docs[0].n_words == sum(len(p.split()) for p in docs[0].paragraphs) > 50


def test_info_without_nodes_or_with_garbage_gives_nothing() -> None:
    assert info_to_docs("") == []
    assert info_to_docs(_INFO_PREAMBLE + _INFO_TAGS) == []
    assert info_to_docs("\x1f\x1f\x00 File: Node: ,,, Up:\n\x1f<<>>" * 50) == []
    assert info_to_docs(_node("Top", "(dir)", "* Menu:\n\n* A::\n")) == []


def test_info_node_cycles_and_odd_pointers_do_not_hang() -> None:
    text = _node("A", "B", "Some prose in node A that is long enough.")
    text += _node("B", "A", "More prose in B.")
    docs = info_to_docs(text)
    assert [p for doc in docs for p in doc.paragraphs] == [
        "Some prose in node A that is long enough.", "More prose in B.",
    ]


def test_info_is_deterministic_and_checks_its_argument() -> None:
    assert info_to_docs(INFO_SAMPLE) == info_to_docs(INFO_SAMPLE)
    with pytest.raises(InputError):
        info_to_docs(b"File: x")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- man pages

MAN_SAMPLE = r""".\" Copyright and licence comments are not text
.TH DEMO 1 "2024-01-01" "demo 1.0" "User Commands"
.SH NAME
demo \- copy files to standard output
.SH SYNOPSIS
.B demo
[\fIOPTION\fR]... [\fIFILE\fR]...
.SH DESCRIPTION
.B demo
copies each
.I FILE
to standard output.  \" an inline comment
Use the \fB\-v\fP option to print each file.
.PP
Alternating fonts join:
.BR open (2),
.IR path name ,
and
.RB [ \-q ]
\(em all without spaces \(en or \(lqquotes\(rq.
.TP
.BR \-q ", " \-\-quiet
Print nothing; it\(aqs quiet \e and safe\&.
.TP 8
\fB\-x\fR
Exit at once.
.SS Lists
.IP \(bu 2
A bullet item.
.RS
.IP 1. 4
A numbered item, nested.
.RE
.nf
if demo \-v file1 file2; then
fi
.fi
.EX
$ demo \-q
.EE
.TS
tab(:);
l l.
a:b
.TE
See the
.UR https://example.org/demo
demo home page
.UE .
.SH "SEE ALSO"
.BR cat (1)
"""


def test_man_page_keeps_paragraphs_and_drops_structure() -> None:
    doc = man_to_doc(MAN_SAMPLE, "demo.1")
    assert doc.title == "demo(1)"
    assert doc.paragraphs == (
        "demo - copy files to standard output",
        "demo copies each FILE to standard output. Use the -v option to print each file.",
        "Alternating fonts join: open(2), pathname, and [-q] — all without spaces – or “quotes”.",
        "Print nothing; it's quiet \\ and safe.",
        "Exit at once.",
        "A bullet item.",
        "A numbered item, nested.",
        "See the demo home page.",
    )


def test_man_page_escapes_and_requests() -> None:
    page = (
        ".TH x 3\n.SH DESCRIPTION\n.ad l\n.nh\n"
        "Sizes \\s-1SMALL\\s0 and \\f(CWcode\\fP and \\f[B]bold\\f[] and \\[u00E9]t\\['e].\n"
        "A split\\c\nword and a long \\\nline and \\*(lqstrings\\*(rq.\n"
        ".de XX\nmacro body is not text\n..\n"
        ".if n \\{\\\n.ds Q \"\n.\\}\n"
        ".SH\nCAVEATS\nA heading on its own line is dropped.\n"
        ".SH COLOPHON\nThis page is part of a project.\n"
    )
    assert man_to_doc(page).paragraphs == (
        "Sizes SMALL and code and bold and été. A splitword and a long line and “strings”.",
        "A heading on its own line is dropped.",
    )


def test_man_includes_empty_and_garbage_give_empty_documents() -> None:
    assert man_to_doc(".so man2/open.2\n", "creat.2") == ConvertedDoc("creat.2", ())
    assert man_to_doc('.\\" comment\n.so man3/x.3\n').paragraphs == ()
    assert man_to_doc("") == ConvertedDoc("", ())
    assert man_to_doc(".TH\n.SH\n.TP\n.BR\n.IP\n\\f\\(\\[\\*\\s\\n\\\n.de\n") .paragraphs == ()
    noisy = man_to_doc("\\fB" * 1000 + "\x00\x1f<garbage>" + "\\(" * 100)
    assert all("\\" not in p for p in noisy.paragraphs)


def test_man_is_deterministic_and_checks_its_argument() -> None:
    assert man_to_doc(MAN_SAMPLE) == man_to_doc(MAN_SAMPLE)
    with pytest.raises(InputError):
        man_to_doc(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- POD

POD_SAMPLE = """=encoding utf8

=head1 NAME
X<demo>

demo - copy files to standard output

=head1 SYNOPSIS

    demo [-v] FILE...

=head1 DESCRIPTION

B<demo> copies each I<FILE> to standard output.
Use the C<-v> option to print each file.

Codes nest: B<C<bold code>>, C<< $a->{b} >>, C<<< $x <=> $y >>>, F</etc/demo>,
S<no break>, E<lt>tagE<gt>, cafE<eacute> and naE<0xEF>ve, X<index entry>Z<>done.

See L<the manual|perlpod>, L<perlsyn/"For Loops">, L</OPTIONS> and L<https://example.org>.

=over 4

=item *

A bullet body.

=item * Text on the bullet line.

=item B<-q>, B<--quiet>

Print nothing.

=item 2.

=back

=begin html

<p>Only for HTML.</p>

=end html

=for comment This paragraph is dropped.

=cut

sub code_is_not_pod { 1 }

=pod

Back in POD after code.

=head1 SEE ALSO

L<perlpod>, L<perlsyn>

=head1 COPYRIGHT AND LICENSE

Free software.
"""


def test_pod_keeps_paragraphs_and_resolves_codes() -> None:
    doc = pod_to_doc(POD_SAMPLE, "demo.pod")
    assert doc.title == "demo"
    assert doc.paragraphs == (
        "demo - copy files to standard output",
        "demo copies each FILE to standard output. Use the -v option to print each file.",
        "Codes nest: bold code, $a->{b}, $x <=> $y, /etc/demo, no break, <tag>, café and "
        "naïve, done.",
        "See the manual, For Loops in perlsyn, OPTIONS and https://example.org.",
        "A bullet body.",
        "Text on the bullet line.",
        "Print nothing.",
        "Back in POD after code.",
    )


def test_pod_inside_a_module_and_without_name() -> None:
    module = (
        "package Demo;\nuse strict;\n\n=head1 DESCRIPTION\n\nDemo does things.\n\n=cut\n\n"
        "sub new { bless {}, shift }\n\n# =head1 not pod\n\n1;\n"
    )
    assert pod_to_doc(module, "Demo.pm") == ConvertedDoc("Demo.pm", ("Demo does things.",))


def test_pod_empty_and_garbage_inputs() -> None:
    assert pod_to_doc("") == ConvertedDoc("", ())
    assert pod_to_doc("just some perl code;\nprint 1;\n") == ConvertedDoc("", ())
    deep = "B<" * 3000 + "deep"
    broken = pod_to_doc(f"=head1 X\n\n{deep}\n\nC<< never closed\n\nE<nosuch> a > b\n")
    assert broken.paragraphs == ("deep", "never closed", "a > b")
    assert pod_to_doc("=begin html\n\nnever ended\n").paragraphs == ()


def test_pod_is_deterministic_and_checks_its_argument() -> None:
    assert pod_to_doc(POD_SAMPLE) == pod_to_doc(POD_SAMPLE)
    with pytest.raises(InputError):
        pod_to_doc(["=head1"])  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# mdoc (BSD man pages)
# --------------------------------------------------------------------------------------

MDOC_SAMPLE = """.\\" Copyright (c) 2024 The Gadget Project
.Dd March 22, 2024
.Dt GADGET 3
.Os
.Sh NAME
.Nm gadget ,
.Nm gadgetbyname
.Nd build a gadget from a spec
.Sh LIBRARY
.Lb libgadget
.Sh SYNOPSIS
.In gadget.h
.Ft int
.Fn gadget "const char *spec" "int flags"
.Sh DESCRIPTION
The
.Fn gadget
function builds a gadget from
.Fa spec ,
as the
.Xr widget 1
utility does, unless
.Dv GD_DRY
is set in
.Fa flags .
.Pp
Options are given as
.Op Fl v Ar level
and the state is kept in a
.Dq Management Information Base
.Pq MIB .
.Bl -tag -width indent
.It Fl v
Print every step to the standard error.
.El
.Bd -literal -offset indent
int fd = gadget("spec", 0);
.Ed
.Bl -column "Name" "Value"
.It Sy Name Ta Sy Value
.It one Ta 1
.El
.Dl gadget -v 2 spec
.Sh RETURN VALUES
.Rv -std gadget
.Sh STANDARDS
The interface conforms to
.St -p1003.1-2008
and first appeared in
.Fx 4.0 .
.Sh SEE ALSO
.Xr widget 1
.Sh AUTHORS
.An Jane Doe
"""


def test_mdoc_page_keeps_paragraphs_and_renders_inline_macros() -> None:
    doc = man_to_doc(MDOC_SAMPLE, "gadget.3")
    assert doc == mdoc_to_doc(MDOC_SAMPLE, "gadget.3")  # man_to_doc hands mdoc pages over
    assert doc.title == "gadget(3)"
    assert doc.paragraphs == (
        "gadget, gadgetbyname - build a gadget from a spec",
        "The gadget() function builds a gadget from spec, as the widget(1) utility does, unless "
        "GD_DRY is set in flags.",
        "Options are given as [-v level] and the state is kept in a “Management Information Base” (MIB).",
        "Print every step to the standard error.",
        "The gadget() function returns the value 0 if successful; otherwise the value -1 is returned "
        "and the global variable errno is set to indicate the error.",
        "The interface conforms to IEEE Std 1003.1-2008 (“POSIX.1”) and first appeared in FreeBSD 4.0.",
    )


def test_mdoc_quotes_across_lines_spacing_macros_and_odd_input() -> None:
    page = ".Dt X 1\n.Sh DESCRIPTION\nSee\n.Do\nthe manual\n.Dc .\nA\n.Pf ( Fa x )\nand\n.Ar file Ns .txt\nnames.\n"
    assert mdoc_to_doc(page).paragraphs == ("See “the manual”. A (x) and file.txt names.",)
    assert mdoc_to_doc("").paragraphs == ()
    assert mdoc_to_doc(".Bl\n.Bl -column\n.El\n.El\n.El\n.It\n.Xr\n.Fn\n.St\n.Ex\n.Dc\n").paragraphs == ()
    noisy = man_to_doc(".Dd x\n.Sh DESCRIPTION\n" + "\\fB" * 500 + "\x00<garbage>\n.Op Fl\n.Dq\n")
    assert all("\\" not in p and "\x00" not in p for p in noisy.paragraphs)


# --------------------------------------------------------------------------------------
# plain-text manuals in HTML <pre> (Vim's help, HAProxy)
# --------------------------------------------------------------------------------------

VIM_PAGE = """<HTML><HEAD><META HTTP-EQUIV="Content-type" content="text/html; charset=ISO-8859-1">
<TITLE>Vim documentation: usr_20</TITLE></HEAD><BODY><H1>Vim documentation: usr_20</H1>
<A HREF="index.html">main help file</A><HR><PRE>
*<A NAME="usr_20.txt"></A><B>usr_20.txt</B>*	For Vim version 9.0.  Last change: 2021 Nov 18

Vim has a few generic features that make <A HREF="motion.html#it">it</A> easier to
enter commands.  Colon commands can be |<A HREF="#abbr">abbreviated</A>|.

|<A HREF="#20.1">20.1</A>|	Command line editing

==============================================================================
*<A NAME="20.1"></A><B>20.1</B>*	Command line editing

To erase a character, type &lt;BS&gt; and then correct it: >
	:s/col/pig/
The cursor is now after "pig".

DELETING ~
CTRL-W deletes the word in front of the cursor.
</PRE></BODY></HTML>"""


def test_pre_html_keeps_margin_lines_of_each_block_and_drops_the_rest() -> None:
    doc = pre_html_to_doc(VIM_PAGE.encode("latin-1"))
    assert doc == ConvertedDoc("Vim documentation: usr_20", (
        "Vim has a few generic features that make it easier to enter commands. Colon commands can be abbreviated.",
        "To erase a character, type <BS> and then correct it:",
        "CTRL-W deletes the word in front of the cursor.",
    ))


def test_pre_html_reads_text_pre_blocks_only_and_survives_odd_input() -> None:
    page = ('<html><body><pre class="text">HAProxy is a load balancer.\nIt is fast.\n\n  - indented list\n</pre>'
            '<pre class="prettyprint">global\n    maxconn 100\n</pre><p>Outside text.</p></body></html>')
    assert pre_html_to_doc(page).paragraphs == ("HAProxy is a load balancer. It is fast.",)
    assert pre_html_to_doc("") == ConvertedDoc("", ())
    assert pre_html_to_doc(b"\x00\xff<pre>") .paragraphs == ()
    with pytest.raises(InputError, match="str or bytes"):
        pre_html_to_doc(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------

MARKDOWN_SAMPLE = """# Monitoring Basics <a id="basics"></a>

Icinga checks hosts and services
and notifies you when one fails.

```
object Host "web" { address = "192.0.2.1" }
```

    indented code is code too

| Name | Value |
|------|-------|
| a    | 1     |

* A **host** is a machine that you [monitor](https://example.org).
* A service runs on a host.

> Notifications are sent by `users` only.
"""


def test_markdown_keeps_paragraphs_items_and_quotes_and_drops_code_and_tables() -> None:
    doc = markdown_to_doc(MARKDOWN_SAMPLE, "basics.md")
    assert doc == ConvertedDoc("Monitoring Basics", (
        "Icinga checks hosts and services and notifies you when one fails.",
        "A host is a machine that you monitor.",
        "A service runs on a host.",
        "Notifications are sent by users only.",
    ))
    assert markdown_to_doc("", "empty.md") == ConvertedDoc("empty.md", ())
    assert markdown_to_doc("\x00<<<>>>[[](", "x.md").paragraphs == ()  # no letter or digit: no paragraph
    with pytest.raises(InputError, match="needs str"):
        markdown_to_doc(b"bytes")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# dictd dictionaries (FOLDOC, the Jargon File)
# --------------------------------------------------------------------------------------

DICTD_SAMPLE = """

00-database-short
     The Free On-line Dictionary of Computing (19 January 2023)
The original data is available from:
     http://foldoc.org/Dictionary.gz

Broken As Designed
BAD

   <humour> (BAD) A humourous problem description that is a play
   on "{working as designed}", from {IBM}.

   [{Jargon File}]

   (2020-05-17)

broker

   {object request broker}

chase pointers
 vi.

    1. vi. To go through multiple levels of indirection, as in
    traversing a linked list.
        while (p) p = p->next;
    Used esp. by programmers in {C}.

    2. [Cambridge] The process of going through a {core
    dump}.
"""


def test_dictd_entries_keep_bodies_led_by_the_headword() -> None:
    docs = dictd_to_docs(DICTD_SAMPLE, "foldoc.dict.dz")
    assert docs == [ConvertedDoc("Broken As Designed - chase pointers", (
        'Broken As Designed (BAD): A humourous problem description that is a play on "working as designed", from IBM.',
        "(2020-05-17)",  # FOLDOC's date stamp and the redirect below: the prose filter drops them later
        "broker: object request broker",
        "chase pointers: To go through multiple levels of indirection, as in traversing a linked list.",
        "Used esp. by programmers in C.",
        "The process of going through a core dump.",
    ))]
    assert all("database" not in p and "Jargon File" not in p and "->" not in p for p in docs[0].paragraphs)
    assert prose_paragraphs(docs[0].paragraphs) == [docs[0].paragraphs[i] for i in (0, 3, 5)]


def test_dictd_groups_entries_into_documents_and_survives_odd_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dictd_module, "DOC_WORDS", 10)
    titles = [d.title for d in dictd_to_docs(DICTD_SAMPLE)]
    assert titles == ["Broken As Designed - Broken As Designed", "broker - chase pointers"]
    assert dictd_to_docs("") == []
    assert dictd_to_docs("headword only\n\nanother\n") == []  # no indented body
    assert dictd_to_docs("\x00\x01 {{{ }}} <<>>\n   [x]\n") == []
    assert dictd_to_docs(DICTD_SAMPLE.replace("\n", "\r\n")) == dictd_to_docs(DICTD_SAMPLE)
    with pytest.raises(InputError, match="needs the file's text"):
        dictd_to_docs(b"bytes")  # type: ignore[arg-type]
