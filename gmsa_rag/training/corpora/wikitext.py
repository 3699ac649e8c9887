"""MediaWiki markup -> plain prose: :func:`clean_wikitext`.

Read top to bottom: what is dropped (sections, link namespaces, patterns), how links and
the few prose-carrying inline templates render, the helpers that peel nested markup,
and :func:`clean_wikitext`, which runs them in order and joins lines into paragraphs.
"""

from __future__ import annotations

import html
import re

from gmsa_rag.errors import InputError

_DROP_SECTIONS = {
    "see also", "references", "external links", "further reading", "notes", "bibliography",
    "sources", "footnotes", "citations", "notes and references", "references and notes",
    "works cited", "gallery", "filmography", "discography", "selected works", "works",
    "publications", "selected bibliography", "primary sources", "secondary sources",
    "explanatory notes", "reference notes", "general references", "notes and citations",
}
_DROP_LINK_NAMESPACES = {"file", "image", "category", "media"}

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_REF_SELF_CLOSING = re.compile(r"<ref\b[^>]*?/>", re.I)
_REF_PAIRED = re.compile(r"<ref\b[^>]*>.*?</ref\s*>", re.I | re.S)
_DROP_BLOCKS = re.compile(
    r"<(math|gallery|timeline|score|syntaxhighlight|source|pre|imagemap|chem|graph|"
    r"hiero|poem|references)\b[^>]*?(?:/>|>.*?</\1\s*>)",
    re.I | re.S,
)
_INNER_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
_INNER_TEMPLATE = re.compile(r"\{\{([^{}]*)\}\}")
_INNER_TABLE = re.compile(r"\{\|(?:(?!\{\|).)*?\|\}", re.S)
_EXTERNAL_LINK = re.compile(r"\[(?:https?:|ftp:)?//[^\s\]]+(?:\s+([^\]]*))?\]")
_BARE_URL = re.compile(r"https?://\S+")
_BOLD_ITALIC = re.compile(r"'{2,}")
_HEADING = re.compile(r"^(={1,6})\s*(.*?)\s*\1\s*$", re.M)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*\b[^<>]*?/?>")
_MAGIC_WORD = re.compile(r"__[A-Z]+__")
_INTERWIKI = re.compile(r"^[a-z]{2,3}(?:-[a-z]+)*:")
_CITATION_MARK = re.compile(r"\[(?:\d+|citation needed|clarification needed)\]")


def _render_link(match: re.Match) -> str:
    """``[[target]]`` -> target, ``[[target|label]]`` -> label; files, categories and
    interwiki links -> ``""``."""
    inner = match.group(1)
    target, pipe, label = inner.partition("|")
    target = target.strip()
    visible = target.startswith(":")
    namespace = target.lstrip(":").split(":", 1)[0].strip().lower() if ":" in target else ""
    if namespace in _DROP_LINK_NAMESPACES and not visible:
        return ""
    if pipe:
        return label.strip() if label.strip() else target.lstrip(":").split(":")[-1]
    if _INTERWIKI.match(target) and not visible:
        return ""
    return target.lstrip(":").split("#")[0] if not target.startswith("#") else target[1:]


def _positional(args: list[str]) -> list[str]:
    """The positional (not ``name=value``) arguments of a template, stripped."""
    return [a.strip() for a in args if "=" not in a]


_SCALE = {"3": "thousand", "6": "million", "9": "billion"}


def _render_template(match: re.Match) -> str:
    """A few inline templates carry prose (units, foreign words, dashes); the rest is dropped."""
    parts = match.group(1).split("|")
    name = parts[0].strip().lower().replace("_", " ")
    args = _positional(parts[1:])
    if name in {"convert", "cvt"} and len(args) >= 2:
        scaled = re.fullmatch(r"e(3|6|9)(\w+)", args[-1] if len(args) == 2 else args[1])
        if len(args) == 2 and scaled:  # {{convert|87|e6acre}} -> "87 million acre"
            return f"{args[0]} {_SCALE[scaled.group(1)]} {scaled.group(2)}"
        if len(args) >= 4 and args[1] in {"to", "-", "–", "and", "or", "by", "x"}:
            return f"{args[0]} {args[1]} {args[2]} {args[3]}"
        return f"{args[0]} {args[1]}"
    if name in {"lang", "transl"} and len(args) >= 2:
        return args[-1]
    if name.startswith("lang-") and args:
        return args[0]
    if name in {"nowrap", "nobr", "small", "smaller", "big", "abbr", "nihongo", "sic", "em",
                "smallcaps", "sc", "not a typo", "keypress", "math", "mvar", "unbulleted list",
                "angbr", "lang-en", "vr", "visible anchor"} and args:
        return args[0]
    if name in {"ndash", "snd", "spaced ndash", "spnd", "dash"}:
        return " – " if name != "ndash" else "–"
    if name in {"mdash", "spaced mdash"}:
        return "—"
    if name in {"'", "'s"}:
        return "'" if name == "'" else "'s"
    if name in {"circa", "c.", "c"}:
        return "c. " + (args[0] if args else "")
    if name == "frac" and args:
        return "/".join(args)
    if name in {"us$", "usd"} and args:
        return "US$" + args[0]
    if name == "as of" and args:
        lower = any(p.strip().replace(" ", "") in {"lc=y", "lc=yes"} for p in parts[1:])
        return ("as of " if lower else "As of ") + " ".join(args[:3])
    return ""


def _substitute_until_stable(pattern: re.Pattern, repl, text: str) -> str:
    """Substitute until nothing changes: innermost-first rewriting handles any nesting.

    ``{{a|{{b}}}}`` -> ``{{a|}}`` -> ``""``.
    """
    while True:
        new = pattern.sub(repl, text)
        if new == text:
            return text
        text = new


def _drop_unbalanced_markup(text: str) -> str:
    """Drop template leftovers that innermost-first peeling cannot remove.

    Templates whose arguments hold literal braces (``{{efn|... {|}~}}``) survive the
    peeling; each leftover is dropped from its ``{{`` to the last ``}}`` on the line (or
    to the end of the line).
    """
    lines = []
    for line in text.split("\n"):
        while "{{" in line:
            start = line.index("{{")
            end = line.rfind("}}")
            line = line[:start] + (line[end + 2:] if end > start else "")
        lines.append(line.replace("}}", ""))
    return "\n".join(lines)


def _drop_boilerplate_sections(text: str) -> str:
    """Keep prose sections; turn each heading into a paragraph break.

    "== References ==" and friends are dropped with their bodies, up to the next heading
    of the same or a higher level.
    """
    out: list[str] = []
    drop_level = 0
    pos = 0
    for m in _HEADING.finditer(text):
        if not drop_level:
            out.append(text[pos:m.start()])
        level, title = len(m.group(1)), m.group(2).strip().lower()
        if drop_level and level <= drop_level:
            drop_level = 0
        if not drop_level and title in _DROP_SECTIONS:
            drop_level = level
        out.append("\n\n")  # a heading becomes a paragraph break
        pos = m.end()
    if not drop_level:
        out.append(text[pos:])
    return "".join(out)


def _tidy_line(line: str) -> str:
    """Collapse whitespace and the punctuation debris that removed markup leaves behind."""
    line = re.sub(r"[\s\u200b\u200e\u200f]+", " ", line)
    line = re.sub(r"\(\s*(?:[,;:]\s*)+", "(", line)  # "( ; born ..." -> "(born ..."
    line = re.sub(r"(?:\s*[,;:])+\s*\)", ")", line)  # "... ; )" -> "...)"
    line = re.sub(r"\(\s*\)|\[\s*\]", "", line)
    line = re.sub(r" +([,.;:!?)])", r"\1", line)
    line = re.sub(r"\( +", "(", line)
    line = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", line)
    return re.sub(r" {2,}", " ", line).strip()


def _drop_footnotes_and_blocks(text: str) -> str:
    """Remove comments, ``<ref>`` footnotes, non-prose blocks (math, gallery, ...), nowiki."""
    text = _COMMENT.sub("", text)
    text = _REF_SELF_CLOSING.sub("", text)
    text = _REF_PAIRED.sub("", text)
    text = _DROP_BLOCKS.sub("", text)
    return re.sub(r"<nowiki\s*/?>|</nowiki>", "", text, flags=re.I)


def _render_links_templates_tables(text: str) -> str:
    """Render ``[[links]]``, then peel templates and tables, which nest in each other."""
    text = _substitute_until_stable(_INNER_LINK, _render_link, text)
    # templates and tables can nest inside each other: peel both until nothing changes
    while True:
        new = _substitute_until_stable(_INNER_TEMPLATE, _render_template, text)
        new = _substitute_until_stable(_INNER_TABLE, "", new)
        if new == text:
            return text
        text = new


def _drop_inline_markup(text: str) -> str:
    """Remove URLs, leftover braces, boilerplate sections, tags and quotes; decode entities."""
    text = _EXTERNAL_LINK.sub(lambda m: m.group(1) or "", text)
    text = _BARE_URL.sub("", text)
    text = _drop_unbalanced_markup(text)
    text = _drop_boilerplate_sections(text)
    text = _MAGIC_WORD.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _BOLD_ITALIC.sub("", text)
    text = html.unescape(html.unescape(text))  # dumps hold "&amp;nbsp;" -> "&nbsp;" -> nbsp
    return _CITATION_MARK.sub("", text)


def _join_paragraphs(text: str) -> str:
    """Join consecutive prose lines into tidy paragraphs separated by blank lines.

    A blank line or a markup line (list item, table row, indent, rule, ...) ends a
    paragraph and is itself dropped.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        is_markup_line = line[:1] in {"*", "#", ":", ";", "|", "!", "{", "}", "["} or line.startswith("----")
        if not line or is_markup_line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    paragraphs = [p for p in (_tidy_line(p) for p in paragraphs) if p]
    return "\n\n".join(paragraphs)


def clean_wikitext(markup: str) -> str:
    """Strip MediaWiki markup to plain prose paragraphs separated by blank lines.

    Removes comments, ``<ref>`` footnotes, templates (nested; a few inline ones such as
    ``{{convert}}`` and ``{{lang}}`` keep their text), tables, file/image/category links,
    lists, headings (a heading becomes a paragraph break; reference/link sections are
    dropped with their bodies), HTML tags and bold/italic quotes; ``[[a|b]]`` -> ``b``,
    ``[[a]]`` -> ``a``, ``[url text]`` -> ``text``; entities such as ``&nbsp;`` are decoded.
    Markup that holds no prose cleans to ``""``.

    Raises InputError for a non-string or an empty/blank string.
    """
    if not isinstance(markup, str):
        raise InputError(f"wiki markup must be a str, got {type(markup).__name__}")
    if not markup.strip():
        raise InputError("wiki markup is empty; nothing to clean")
    text = markup.replace("\r\n", "\n")
    text = _drop_footnotes_and_blocks(text)
    text = _render_links_templates_tables(text)
    text = _drop_inline_markup(text)
    return _join_paragraphs(text)
