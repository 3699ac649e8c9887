"""GNU Info manuals -> prose documents: :func:`info_to_docs`.

An Info file is a preamble followed by nodes, each after a ``\\x1f`` and a header line
``File: x.info,  Node: Foo,  Next: ...,  Up: ...``. The ``Up`` pointers make a tree;
documents are cut from it: every child of the root (a chapter) is one document unless it
holds more than :data:`MAX_DOC_WORDS` words, in which case its own text and each of its
children are cut the same way. Pieces under :data:`MIN_DOC_WORDS` are merged into the
piece that follows, so neither whole manuals nor one-paragraph fragments come back.

Kept: filled paragraphs (the first line may be indented by 3), bullet and numbered list
items, table and definition bodies (``-- Function: ...`` bodies, ``@table`` bodies) and
labelled notes (``Note: ...``). Dropped: the preamble, tag and indirect tables, headings
(their underlined title names the document), ``* Menu:`` blocks (and so index nodes),
footnotes, images, definition headers, table terms, and anything else indented deeper
than the text around it (examples, displays, tables). Cross references keep their label,
``‘code’`` quotes and ``_emphasis_`` / ``*strong*`` marks are removed. Nodes holding a
licence text (GPL, GFDL, Python's history and licence) are dropped with their subtrees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.formats import ConvertedDoc

MAX_DOC_WORDS = 12_000
MIN_DOC_WORDS = 150
_FILLED_WIDTH = 62  # makeinfo fills to column 72; a filled line plus the next word passes this

_HEADER = re.compile(r"\s*File:[^\n]*?Node:\s*([^,\t\n]*)([^\n]*)\n?")
_UP = re.compile(r",\s*Up:\s*([^,\t\n]*)")
_UNDERLINE = re.compile(r"([*=.-])\1+")
_SECTION_NUMBER = re.compile(r"^(?:Appendix\s+)?(?:[A-Z]|\d+)(?:\.\d+)*\.?\s+(?=\S)")
_SPECIAL = re.compile(r"\x00\x08\[.*?\x00\x08\]|\[image src=\"[^\"]*\"(?:[^\]\"]|\"[^\"]*\")*\]", re.S)
_DEF_HEADER = re.compile(r"-- [^:\n]*:")
_BULLET = re.compile(r"([*•∙◦-]|\d{1,3}\.|[a-z]\.)\s+(?=\S)")
_TERM = re.compile(r"\s*(?:\S+\s+){0,11}\S*[^\s.:;!?]")  # a short line that ends no sentence
_NOTE = re.compile(r"(?:Note|Warning|Caution|Important|Tip|Attention|Please note)\s*:")
_LICENCE = re.compile(
    r"(?i)general public license|free documentation license|^copying this manual$|"
    r"^copyright$|^history and license$|^licenses? and acknowledgements"
)
_XREF_DOUBLE_COLON = re.compile(r"(\(?)\*([Nn])ote\s+([^:]*?)::")
_XREF_LABELLED = re.compile(
    r"(\(?)\*([Nn])ote\s+([^:]+?):\s*(?:\([^)]*\))?[^.,:]*?([.,])(?=(\s+[A-Z“‘\"]|\s*$)?)"
)
_FOOTNOTES = "---------- Footnotes ----------"
_FOOTNOTE = re.compile(r"\s*\(\d+\) ")
_FOOTNOTE_MARK = re.compile(r"(?<=\S)\(([1-9]\d*)\)")
_MANUAL = re.compile(r"^\([^)]*\)\s*")
_RULE = re.compile(r"[-=*_+|. ]{3,}|-- .* --")  # rules and "-- Subheading --" lines
_CODE_QUOTES = re.compile(r"‘([^‘’]{0,200}?)’")
_ASCII_QUOTES = re.compile(r"(?<![\w'])'([^'\s](?:[^']{0,200}?[^'\s])?)'(?![\w'])")  # older makeinfo
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=[^\s*_])([^*_]{1,80}?)(?<=\S)\1(?![\w*])")


@dataclass
class _Node:
    """One Info node: its name, its parent's name, its title and its prose paragraphs."""

    name: str
    up: str
    title: str
    paragraphs: list[str] = field(default_factory=list)


def _indent(line: str) -> int:
    """Columns of leading whitespace."""
    return len(line) - len(line.lstrip(" "))


def _split_nodes(text: str) -> list[_Node]:
    """The nodes of an Info file in order; preamble, tag and indirect tables are skipped."""
    nodes: list[_Node] = []
    licences: set[str] = set()  # licence nodes: their subtrees are dropped
    quotes = _CODE_QUOTES if "‘" in text else _ASCII_QUOTES
    for segment in text.split("\x1f"):
        header = _HEADER.match(segment)
        if header is None:
            continue
        up = _UP.search(header.group(2))
        body = _SPECIAL.sub("", segment[header.end():]).expandtabs(8)
        title, paragraphs = _read_body(body.split("\n"), quotes)
        name, up_name = " ".join(header.group(1).split()), " ".join(up.group(1).split()) if up else ""
        title = quotes.sub(r"\1", title) or name
        if _LICENCE.search(name) or _LICENCE.search(title) or up_name in licences:
            licences.add(name)
            paragraphs = []
        nodes.append(_Node(name, up_name, title, paragraphs))
    return nodes


def _is_underline(line: str, above: str) -> bool:
    """Whether ``line`` underlines the heading ``above`` (``***``, ``===``, ``---``, ``...``)."""
    if not above.strip() or not _UNDERLINE.fullmatch(line):
        return False
    return abs(len(line) - len(above.rstrip())) <= 3


def _blocks(lines: list[str]) -> tuple[str, list[list[str]], int]:
    """The node's first heading, its blank-line separated blocks (headings, the menu and
    footnotes cut) and how many footnotes it has."""
    end = next((i for i, line in enumerate(lines) if line.strip() == _FOOTNOTES), len(lines))
    footnotes = sum(1 for line in lines[end:] if _FOOTNOTE.match(line))
    title, blocks, current = "", [], []
    for i, line in enumerate(lines[:end]):
        stripped = line.strip()
        if stripped == "* Menu:":
            break
        below = lines[i + 1] if i + 1 < len(lines) else ""
        if below[:1] in "*=.-" and _is_underline(below.strip(), line):
            title = title or " ".join(stripped.split())
            continue
        if (i > 0 and _is_underline(stripped, lines[i - 1])) or _RULE.fullmatch(stripped):
            stripped = ""
        if stripped:
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return _SECTION_NUMBER.sub("", title), blocks, footnotes


def _paragraph_at(lines: list[str], level: int) -> bool:
    """Whether ``lines`` are one filled paragraph at ``level`` (first line may be +3): each
    line but the last is broken only because the next word would pass the margin, and no
    line has columns. Code and tables fail one or the other."""
    return (
        _indent(lines[0]) in (level, level + 3)
        and all(_indent(line) == level for line in lines[1:])
        and all(len(a) + len(b.split(None, 1)[0]) >= _FILLED_WIDTH for a, b in zip(lines, lines[1:]))
        and not any("   " in line.strip() for line in lines)
    )


def _read_body(lines: list[str], quotes: re.Pattern) -> tuple[str, list[str]]:
    """The title and the kept paragraphs of one node's body lines.

    ``levels`` is a stack of the indentations prose may sit at: 0 at the top, plus the
    body column of the definition, table entry or list item being read. A block at a
    level is prose; one indented deeper (and not a note) is an example and is dropped.
    """
    title, blocks, footnotes = _blocks(lines)
    levels, note_level, term, kept = [0], -1, -1, []
    for block in blocks:
        while len(levels) > 1 and min(_indent(line) for line in block) < levels[-1]:
            levels.pop()
        level, first, rest = levels[-1], _indent(block[0]), block[1:]
        deeper = next((i for i, line in enumerate(block) if _indent(line) != level), len(block))
        bullet = _BULLET.match(block[0], first)
        prose: list[str] = []
        if _DEF_HEADER.match(block[0], first):
            levels = [n for n in levels if n < first] + [first + 4]
            prose = _definition_body(block, first)
        elif bullet and level <= first <= level + 4 and all(_indent(x) == bullet.end() for x in rest):
            levels.append(bullet.end())
            prose = [block[0][bullet.end():], *rest]
        elif first == level and 0 < deeper < len(block) and min(map(_indent, block[deeper:])) >= level + 4:
            levels.append(level + 5)  # table terms, then the body (or an example in it)
            prose = block[deeper:] if _paragraph_at(block[deeper:], level + 5) else []
        elif _paragraph_at(block, level):
            prose = block
        elif _paragraph_at(block, first) and (first == note_level or _NOTE.match(block[0], first)):
            prose = block
        elif term >= 0 and first == level + 5 and len(block) > 1 and _paragraph_at(block, first):
            levels.append(first)  # a definition list's body, below its one-line term
            del kept[term]
            prose = block
        note_level = first if prose and first > level else -1
        is_term = prose and not rest and first == level and _TERM.fullmatch(block[0])
        term = len(kept) if is_term else -1
        if prose:
            kept.append(" ".join(prose))
    return title, [p for p in (_clean_inline(p, footnotes, quotes) for p in kept) if p]


def _definition_body(block: list[str], column: int) -> list[str]:
    """The body lines that follow ``-- Function: ...`` header lines (and their wrapped
    continuations) in the same block, if they form a paragraph."""
    i = 0
    while i < len(block) and (_DEF_HEADER.match(block[i], column) or _indent(block[i]) >= column + 9):
        i += 1
    body = block[i:]
    return body if body and _paragraph_at(body, column + 4) else []


def _render_xref(match: re.Match, double_colon: bool) -> str:
    """``*note Label: Node.`` -> ``Label``; ``*Note`` -> ``See Label``; ``(*note`` -> ``(see``."""
    paren, capital, label = match.group(1), match.group(2) == "N", _MANUAL.sub("", match.group(3))
    prefix = "See " if capital else ("see " if paren else "")
    if double_colon:
        return f"{paren}{prefix}{label}"
    sentence_end = match.group(5) is not None  # else the "." is only makeinfo's terminator
    end = match.group(4) if sentence_end or match.group(4) == "," else ""
    return f"{paren}{prefix}{label}{end}"


def _clean_inline(paragraph: str, footnotes: int, quotes: re.Pattern) -> str:
    """One line of prose from a joined paragraph: references resolved, then ``‘code’``
    unquoted; outside code, ``_emphasis_`` / ``*strong*`` marks and footnote marks
    (``(1)`` .. ``(footnotes)``) are dropped."""
    text = " ".join(paragraph.split())
    if "ote " in text:
        text = _XREF_DOUBLE_COLON.sub(lambda m: _render_xref(m, True), text)
        text = _XREF_LABELLED.sub(lambda m: _render_xref(m, False), text)

    def prose(part: str) -> str:
        part = _EMPHASIS.sub(r"\2", part)
        if not footnotes:
            return part
        return _FOOTNOTE_MARK.sub(lambda m: "" if int(m.group(1)) <= footnotes else m.group(0), part)

    parts, position = [], 0
    for match in quotes.finditer(text):
        parts += [prose(text[position:match.start()]), match.group(1)]
        position = match.end()
    return " ".join(("".join(parts) + prose(text[position:])).split())


def _pieces(nodes: list[_Node]) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) pieces in document order, cut from the node tree."""
    index = {node.name: i for i, node in enumerate(nodes)}
    children: dict[int, list[int]] = {i: [] for i in range(len(nodes))}
    roots = []
    for i, node in enumerate(nodes):
        parent = index.get(node.up, -1)
        if 0 <= parent < i:
            children[parent].append(i)
        else:
            roots.append(i)
    words = [sum(len(p.split()) for p in node.paragraphs) for node in nodes]
    for i in reversed(range(len(nodes))):  # children come after parents, so sums are ready
        words[i] += sum(words[c] for c in children[i])
    pieces: list[tuple[str, list[str]]] = []
    todo = [(i, nodes[i].name == "Top" or nodes[i].up in ("", "(dir)")) for i in reversed(roots)]
    while todo:
        i, split = todo.pop()
        if split or words[i] > MAX_DOC_WORDS:
            pieces.append((nodes[i].title, list(nodes[i].paragraphs)))
            todo.extend((c, False) for c in reversed(children[i]))
        else:
            pieces.append((nodes[i].title, _subtree_paragraphs(nodes, children, i)))
    return pieces


def _subtree_paragraphs(nodes: list[_Node], children: dict[int, list[int]], root: int) -> list[str]:
    """The paragraphs of ``root`` and all its descendants, in document order."""
    out, todo = [], [root]
    while todo:
        i = todo.pop()
        out.extend(nodes[i].paragraphs)
        todo.extend(reversed(children[i]))
    return out


def _merge_small(pieces: list[tuple[str, list[str]]]) -> list[ConvertedDoc]:
    """Documents from pieces: one under :data:`MIN_DOC_WORDS` words joins the next one."""
    docs: list[ConvertedDoc] = []
    title, pending = "", []
    for piece_title, paragraphs in pieces:
        title = title if pending else piece_title
        pending.extend(paragraphs)
        if sum(len(p.split()) for p in pending) >= MIN_DOC_WORDS:
            docs.append(ConvertedDoc(title, tuple(pending)))
            pending = []
    if pending and docs:
        docs[-1] = ConvertedDoc(docs[-1].title, docs[-1].paragraphs + tuple(pending))
    elif pending:
        docs.append(ConvertedDoc(title, tuple(pending)))
    return docs


def info_to_docs(text: str, name: str = "") -> list[ConvertedDoc]:
    """The prose documents of one Info file (already decompressed), in document order.

    ``name`` (the file's name) only titles documents that have no title of their own.
    A manual split into ``x.info-1``, ``x.info-2``, ... reads best concatenated in order.
    Odd input gives ``[]``; raises InputError only if ``text`` or ``name`` is not a str.
    """
    if not isinstance(text, str) or not isinstance(name, str):
        raise InputError(f"info text and name must be str, got {type(text).__name__}")
    docs = _merge_small(_pieces(_split_nodes(text.replace("\r\n", "\n"))))
    return [ConvertedDoc(doc.title or name, doc.paragraphs) for doc in docs if doc.paragraphs]
