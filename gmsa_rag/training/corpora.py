"""Offline training and evaluation text for GMSA, built from real English prose.

Nothing here downloads anything. The text comes from data files that ship inside the
``gensim`` wheel (its ``test/test_data`` folder): an English Wikipedia excerpt in MediaWiki
XML and Australian Broadcasting Corporation news articles from the Lee et al. (2005)
corpus. ``DATA_CARD.md`` next to this file describes sources, licences, cleaning, the QA
templates, the split rule and the measured counts.

Read top to bottom:

1. data files     locate gensim's test data without importing gensim
2. wiki markup    :func:`clean_wikitext` turns MediaWiki markup into plain prose
3. documents      :func:`load_articles` (Wikipedia), :func:`load_news` (ABC news),
                  :func:`load_documents` (all of them, near-duplicates removed)
4. split          :func:`split_of`: a document-level train/heldout split by hash
5. passages       :func:`split_sentences`, :func:`make_passages`,
                  :func:`autoencoder_passages` (stage-1 autoencoder text)
6. QA             rule-based templates over sentences -> :func:`qa_examples`
                  (extractive QA triples for KEFT and evaluation)
7. files          :func:`write_jsonl`, :func:`build_all`

Everything is deterministic: no global RNG is touched; randomness comes from
``random.Random`` instances seeded from strings.
"""

from __future__ import annotations

import bz2
import hashlib
import html
import importlib.util
import json
import random
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from gmsa_rag.errors import InputError

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

SPLITS = ("train", "heldout")

WIKI_LICENSE = "CC BY-SA 3.0 (Wikipedia text; attribution: Wikipedia contributors)"
NEWS_LICENSE = (
    "ABC (Australian Broadcasting Corporation) news text; redistributed by gensim as test "
    "data from the Lee, Pincombe & Welsh (2005) document-similarity corpus; no explicit "
    "licence: research use"
)

WIKI_DUMPS = (
    "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
    "enwiki-table-markup.xml.bz2",
)
NEWS_FILES = ("lee_background.cor", "lee.cor")

DEFAULT_HELDOUT_FRACTION = 0.2
DEFAULT_SPLIT_SALT = "gmsa-corpora-v1"


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    """One source document as clean plain text (paragraphs separated by a blank line).

    ``group`` is the key of the train/heldout split; documents that share a group (e.g.
    "Economy of Angola" and "Angola") always land in the same split.
    """

    doc_id: str
    title: str
    text: str
    source: str
    license: str
    group: str = ""

    @property
    def split_key(self) -> str:
        return self.group or self.doc_id


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences from one document, ``min_words..max_words`` words long."""

    passage_id: str
    doc_id: str
    text: str
    source: str

    @property
    def n_words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class QAExample:
    """An extractive QA example: every answer is an exact substring of ``context``.

    ``distractors`` are other passages (from other documents of the same split) for
    multi-chunk training; ``template`` names the rule that made the question.
    """

    id: str
    question: str
    answers: list[str]
    context: str
    doc_id: str
    distractors: list[str] = field(default_factory=list)
    template: str = ""


@dataclass(frozen=True)
class BuildSummary:
    """What :func:`build_all` wrote, with measured counts."""

    out_dir: Path
    files: dict[str, Path]
    counts: dict[str, int]
    template_counts: dict[str, dict[str, int]]
    seconds: float


# --------------------------------------------------------------------------------------
# 1. Data files
# --------------------------------------------------------------------------------------


def gensim_test_data_dir() -> Path:
    """The ``gensim/test/test_data`` folder of the installed gensim (gensim is not imported)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "gensim is not installed; its test data holds the training corpora. "
            "Install it with `pip install --no-deps gensim==4.4.0`."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data"
    if not path.is_dir():
        raise InputError(f"gensim's test data folder is missing: {path}")
    return path


def _require_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file not found: {str(path)!r}")
    return path


def _default_paths(names: Sequence[str]) -> list[Path]:
    root = gensim_test_data_dir()
    return [root / name for name in names]


# --------------------------------------------------------------------------------------
# 2. MediaWiki markup -> plain prose
# --------------------------------------------------------------------------------------

# Sections whose bodies are lists of references or links, not prose.
_DROP_SECTIONS = {
    "see also", "references", "external links", "further reading", "notes", "bibliography",
    "sources", "footnotes", "citations", "notes and references", "references and notes",
    "works cited", "gallery", "filmography", "discography", "selected works", "works",
    "publications", "selected bibliography", "primary sources", "secondary sources",
    "explanatory notes", "reference notes", "general references", "notes and citations",
}
_DROP_LINK_NAMESPACES = {"file", "image", "category", "media"}
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)

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
    # [[target]] -> target; [[target|label]] -> label; files, categories, interwiki -> ""
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
    return [a.strip() for a in args if "=" not in a]


_SCALE = {"3": "thousand", "6": "million", "9": "billion"}


def _render_template(match: re.Match) -> str:
    # A few inline templates carry prose (units, foreign words, dashes); the rest is dropped.
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
    # innermost-first rewriting handles arbitrary nesting: {{a|{{b}}}} -> {{a|}} -> ""
    while True:
        new = pattern.sub(repl, text)
        if new == text:
            return text
        text = new


def _drop_unbalanced_markup(text: str) -> str:
    # templates whose arguments hold literal braces ("{{efn|... {|}~}}") survive the
    # innermost-first peeling; drop each leftover from its "{{" to the last "}}" on the
    # line (or to the end of the line)
    lines = []
    for line in text.split("\n"):
        while "{{" in line:
            start = line.index("{{")
            end = line.rfind("}}")
            line = line[:start] + (line[end + 2:] if end > start else "")
        lines.append(line.replace("}}", ""))
    return "\n".join(lines)


def _drop_boilerplate_sections(text: str) -> str:
    # keep prose sections; "== References ==" and friends are dropped with their bodies,
    # up to the next heading of the same or a higher level
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
    line = re.sub(r"[\s\u200b\u200e\u200f]+", " ", line)
    line = re.sub(r"\(\s*(?:[,;:]\s*)+", "(", line)  # "( ; born ..." -> "(born ..."
    line = re.sub(r"(?:\s*[,;:])+\s*\)", ")", line)  # "... ; )" -> "...)"
    line = re.sub(r"\(\s*\)|\[\s*\]", "", line)
    line = re.sub(r" +([,.;:!?)])", r"\1", line)
    line = re.sub(r"\( +", "(", line)
    line = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", line)
    return re.sub(r" {2,}", " ", line).strip()


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
    text = _COMMENT.sub("", text)
    text = _REF_SELF_CLOSING.sub("", text)
    text = _REF_PAIRED.sub("", text)
    text = _DROP_BLOCKS.sub("", text)
    text = re.sub(r"<nowiki\s*/?>|</nowiki>", "", text, flags=re.I)
    text = _substitute_until_stable(_INNER_LINK, _render_link, text)
    # templates and tables can nest inside each other: peel both until nothing changes
    while True:
        new = _substitute_until_stable(_INNER_TEMPLATE, _render_template, text)
        new = _substitute_until_stable(_INNER_TABLE, "", new)
        if new == text:
            break
        text = new
    text = _EXTERNAL_LINK.sub(lambda m: m.group(1) or "", text)
    text = _BARE_URL.sub("", text)
    text = _drop_unbalanced_markup(text)
    text = _drop_boilerplate_sections(text)
    text = _MAGIC_WORD.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _BOLD_ITALIC.sub("", text)
    text = html.unescape(html.unescape(text))  # dumps hold "&amp;nbsp;" -> "&nbsp;" -> nbsp
    text = _CITATION_MARK.sub("", text)

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


# --------------------------------------------------------------------------------------
# 3. Documents
# --------------------------------------------------------------------------------------

_ASPECT_TITLE = re.compile(
    r"^(?:Demographics|Politics|Economy|Transport|Foreign relations|History|Geography|"
    r"Culture|Military|Communications|Government|Languages|Religion) (?:of|in) (?P<topic>.+)$"
)
_DEMONYM_SUFFIXES = ("n", "an", "ian", "ese", "i", "s")
_MIN_PARAGRAPH_WORDS = 5


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def iter_wiki_pages(path: str | Path) -> Iterator[tuple[int, str, int, bool, str]]:
    """Yield ``(page_id, title, namespace, is_redirect, markup)`` from a .xml.bz2 dump."""
    path = _require_file(path)
    try:
        with bz2.open(path, "rb") as stream:
            for _, elem in ET.iterparse(stream, events=("end",)):
                if _local(elem.tag) != "page":
                    continue
                values = {_local(child.tag): child for child in elem}
                text_elem = elem.find("./{*}revision/{*}text")
                yield (
                    int(values["id"].text),
                    values["title"].text or "",
                    int(values["ns"].text),
                    "redirect" in values,
                    (text_elem.text if text_elem is not None else None) or "",
                )
                elem.clear()
    except (OSError, EOFError, ET.ParseError) as exc:
        raise InputError(f"cannot read MediaWiki XML dump {str(path)!r}: {exc}") from exc


def _wiki_groups(titles: Sequence[str]) -> dict[str, str]:
    """Split keys for related Wikipedia articles, so related pages share one split.

    "Economy of Angola", "Transport in Angola" and "Angolan Armed Forces" join "Angola";
    "Apollo 11" joins "Apollo"; "Academy Awards" and "Academy Award for Best Production
    Design" share "academy award".
    """
    def base(title: str) -> str:
        title = re.sub(r"^List of |\s*\(.*\)$", "", title)
        m = _ASPECT_TITLE.match(title)
        return (m.group("topic") if m else title).lower()

    bases = {t: base(t) for t in titles}
    single = {b for b in bases.values() if " " not in b and len(b) >= 5}

    def head(b: str) -> str:
        words = b.split()
        if len(words) > 1:
            first = words[0]
            for root in single:
                if first == root or (first.startswith(root) and first[len(root):] in _DEMONYM_SUFFIXES):
                    return root
            return " ".join([words[0], words[1].rstrip("s")])
        return b

    heads = {t: head(b) for t, b in bases.items()}
    shared = {h for h in heads.values() if list(heads.values()).count(h) > 1}
    return {
        t: "wiki-topic:" + (heads[t] if heads[t] in shared or heads[t] in single else bases[t])
        for t in titles
    }


def load_articles(paths: Sequence[str | Path] | None = None) -> list[Article]:
    """Wikipedia articles (namespace 0, no redirects, no disambiguation pages) as prose.

    ``paths`` defaults to the two English dumps in gensim's test data. A page that appears
    in several dumps is kept once (first occurrence wins).
    """
    paths = _default_paths(WIKI_DUMPS) if paths is None else [Path(p) for p in paths]
    articles: list[Article] = []
    seen: set[int] = set()
    for path in paths:
        for page_id, title, namespace, is_redirect, markup in iter_wiki_pages(path):
            if namespace != 0 or is_redirect or page_id in seen or not markup.strip():
                continue
            if markup.lstrip().upper().startswith("#REDIRECT"):
                continue
            if "(disambiguation)" in title or re.search(r"\{\{\s*disambig", markup, re.I):
                continue
            seen.add(page_id)
            text = clean_wikitext(markup)
            paragraphs = [p for p in text.split("\n\n") if len(p.split()) >= _MIN_PARAGRAPH_WORDS]
            if not paragraphs:
                continue
            articles.append(Article(
                doc_id=f"enwiki:{page_id}",
                title=title,
                text="\n\n".join(paragraphs),
                source=f"wikipedia:{Path(path).name}",
                license=WIKI_LICENSE,
            ))
    groups = _wiki_groups([a.title for a in articles])
    return [replace(a, group=groups[a.title]) for a in articles]


def load_news(paths: Sequence[str | Path] | None = None) -> list[Article]:
    """ABC news articles, one per line of a latin-1 ``.cor`` file (Lee et al. corpus).

    ``paths`` defaults to ``lee_background.cor`` (300 lines) and ``lee.cor`` (50 lines).
    Exact duplicate lines are kept once.
    """
    paths = _default_paths(NEWS_FILES) if paths is None else [Path(p) for p in paths]
    articles: list[Article] = []
    seen: set[str] = set()
    for path in paths:
        path = _require_file(path)
        lines = path.read_bytes().decode("latin-1").splitlines()
        for index, line in enumerate(lines):
            text = re.sub(r"\s+", " ", _HTML_TAG.sub("", line)).strip()
            if len(text.split()) < _MIN_PARAGRAPH_WORDS or text in seen:
                continue
            seen.add(text)
            doc_id = f"news:{path.stem}:{index}"
            articles.append(Article(
                doc_id=doc_id,
                title=" ".join(text.split()[:8]) + " ...",
                text=text,
                source=f"abc-news:{path.name}",
                license=NEWS_LICENSE,
                group=doc_id,
            ))
    return articles


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(max(0, len(words) - n + 1))}


def _drop_near_duplicates(docs: list[Article], threshold: float = 0.5) -> list[Article]:
    # the news files hold re-filed versions of the same story; keep the first version so
    # that no story sits in both splits (containment of word 5-shingles >= threshold)
    kept: list[Article] = []
    kept_shingles: list[set] = []
    for doc in docs:
        sh = _shingles(doc.text)
        duplicate = any(
            sh and other and len(sh & other) / min(len(sh), len(other)) >= threshold
            for other in kept_shingles
        )
        if not duplicate:
            kept.append(doc)
            kept_shingles.append(sh)
    return kept


@lru_cache(maxsize=4)
def _documents_cached(
    wiki_paths: tuple[str, ...] | None, news_paths: tuple[str, ...] | None
) -> tuple[Article, ...]:
    wiki = load_articles(wiki_paths)
    news = _drop_near_duplicates(load_news(news_paths))
    return tuple(wiki) + tuple(news)


def load_documents(
    wiki_paths: Sequence[str | Path] | None = None,
    news_paths: Sequence[str | Path] | None = None,
) -> list[Article]:
    """All documents: Wikipedia articles, then ABC news with near-duplicates removed.

    Results are cached per set of paths (the Wikipedia dump takes a few seconds to clean).
    """
    key_w = tuple(str(p) for p in wiki_paths) if wiki_paths is not None else None
    key_n = tuple(str(p) for p in news_paths) if news_paths is not None else None
    return list(_documents_cached(key_w, key_n))


# --------------------------------------------------------------------------------------
# 4. Document-level split
# --------------------------------------------------------------------------------------


def split_of(
    key: str | Article,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    salt: str = DEFAULT_SPLIT_SALT,
) -> str:
    """``"heldout"`` or ``"train"`` for a document (or its split key), by a stable hash.

    The same key always gets the same split, on every machine and Python version; a
    document and everything made from it (passages, QA) therefore share one split.
    """
    if not 0.0 <= heldout_fraction < 1.0:
        raise InputError(f"heldout_fraction must be in [0, 1), got {heldout_fraction!r}")
    if isinstance(key, Article):
        key = key.split_key
    digest = hashlib.sha256(f"{salt}:{key}".encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    return "heldout" if u < heldout_fraction else "train"


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise InputError(f"split must be one of {SPLITS}, got {split!r}")


def _documents_of_split(split: str, heldout_fraction: float, salt: str) -> list[Article]:
    _check_split(split)
    return [d for d in load_documents() if split_of(d, heldout_fraction, salt) == split]


# --------------------------------------------------------------------------------------
# 5. Sentences and passages
# --------------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "gov", "sen", "rep", "col",
    "lt", "capt", "maj", "sgt", "rev", "hon", "mt", "ft", "no", "nos", "vol", "vols", "pp",
    "p", "ed", "eds", "inc", "ltd", "co", "corp", "bros", "vs", "etc", "al", "approx", "ca",
    "c", "cf", "fig", "est", "dept", "univ", "assn", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "op", "viz", "e.g", "i.e", "u.s",
    "u.k", "u.n", "a.d", "b.c", "d.c", "ph.d", "b.a", "m.a", "no", "pty", "cdr", "adm", "v",
    "ave", "blvd", "rd", "bvt", "brig", "lieut", "cmdr", "supt", "insp", "cal", "mich",
    "ont", "gr", "lat", "messrs", "mme", "mlle",
}
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
# a sentence with leftover markup or broken syntax is not used for passages or QA
_JUNK = re.compile(r"\{\{|\}\}|\[\[|\]\]|\||<|>|==|\(\s*\)|https?:|\.\.\.\.")


def _is_abbreviation(before: str) -> bool:
    token = before.rsplit(None, 1)[-1] if before.strip() else ""
    token = token.lstrip("(\"'“")
    bare = token.rstrip(".").lower()
    if bare in _ABBREVIATIONS:
        return True
    if re.fullmatch(r"[A-Z]", token.rstrip(".")):  # an initial: "J. R. R. Tolkien"
        return True
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token.rstrip(".")))  # "U.S."


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; each sentence is an exact substring of ``text``.

    A rule-based splitter: a sentence ends at ``.``, ``!`` or ``?`` (plus closing quotes
    or brackets) followed by whitespace and an upper-case letter or digit, unless the
    word before the period is a known abbreviation or an initial.
    """
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        start = 0
        for m in _SENTENCE_END.finditer(paragraph):
            end = m.end()
            if m.group(0)[0] == "." and _is_abbreviation(paragraph[start:m.start() + 1]):
                continue
            piece = paragraph[start:end].strip()
            if piece:
                sentences.append(piece)
            start = end
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def _is_prose_sentence(sentence: str) -> bool:
    words = sentence.split()
    if len(words) < 4 or len(words) > 80:
        return False
    if not sentence[-1] in ".!?\"'”’)":
        return False
    if _JUNK.search(sentence):
        return False
    if sentence.count("(") != sentence.count(")") or sentence.count('"') % 2:
        return False
    return bool(re.match(r"[\"'“‘(]?[A-Z0-9]", sentence))


def _validate_lengths(min_words: int, target_words: int, max_words: int) -> None:
    if not (isinstance(min_words, int) and isinstance(target_words, int) and isinstance(max_words, int)):
        raise InputError("min_words, target_words and max_words must be integers")
    if not 1 <= min_words <= target_words <= max_words:
        raise InputError(
            "need 1 <= min_words <= target_words <= max_words, got "
            f"{min_words}, {target_words}, {max_words}"
        )


def _passage_sentence_groups(
    article: Article, min_words: int, target_words: int, max_words: int
) -> list[list[str]]:
    # greedy packing of whole prose sentences: a passage closes when it reaches
    # target_words, at a paragraph end once it has min_words, or before it would pass
    # max_words; a too-short remainder is dropped (a too-long sentence too)
    groups: list[list[str]] = []
    current: list[str] = []
    n = 0

    def close() -> None:
        nonlocal current, n
        if n >= min_words:
            groups.append(current)
        current, n = [], 0

    for paragraph in article.text.split("\n\n"):
        for sentence in split_sentences(paragraph):
            if not _is_prose_sentence(sentence):
                continue
            k = len(sentence.split())
            if k > max_words:
                continue
            if n + k > max_words:
                close()
            current.append(sentence)
            n += k
            if n >= target_words:
                close()
        if n >= min_words:
            close()
    close()
    return groups


def make_passages(
    article: Article, min_words: int = 60, target_words: int = 100, max_words: int = 200
) -> list[Passage]:
    """Cut one document into passages of whole sentences (``min_words..max_words`` words)."""
    _validate_lengths(min_words, target_words, max_words)
    return [
        Passage(
            passage_id=f"{article.doc_id}#p{i}",
            doc_id=article.doc_id,
            text=" ".join(group),
            source=article.source,
        )
        for i, group in enumerate(_passage_sentence_groups(article, min_words, target_words, max_words))
    ]


def autoencoder_passages(
    split: str,
    min_words: int = 60,
    target_words: int = 100,
    max_words: int = 200,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    salt: str = DEFAULT_SPLIT_SALT,
) -> list[Passage]:
    """Passages of real prose for stage-1 autoencoder pretraining, for one split.

    Deterministic: documents in source order, passages in document order. No document
    contributes to both ``"train"`` and ``"heldout"``.
    """
    _validate_lengths(min_words, target_words, max_words)
    out: list[Passage] = []
    for doc in _documents_of_split(split, heldout_fraction, salt):
        out.extend(make_passages(doc, min_words, target_words, max_words))
    return out


# --------------------------------------------------------------------------------------
# 6. Rule-based extractive QA
# --------------------------------------------------------------------------------------
#
# Each template reads one sentence and returns (question, answer) pairs whose answer is a
# substring of that sentence. Questions are rewritten only on their non-answer part, so
# the answer always stays an exact span of the passage.

_DATE = (
    rf"(?:(?:\d{{1,2}} )?(?:{_MONTHS}) (?:\d{{1,2}}, )?)?\d{{3,4}}(?: (?:BC|BCE|AD|CE))?"
)
_FULL_DATE = rf"(?:\d{{1,2}} (?:{_MONTHS}),? \d{{4}}|(?:{_MONTHS}) \d{{1,2}}, \d{{4}})"
_NAME = (
    r"[A-Z][\w'’.-]*"
    r"(?: (?:(?:de|van|von|der|den|da|di|du|la|le|al|bin|ibn|of) )?[A-Z][\w'’.-]*){0,4}"
)
_PLACE = r"[A-Z][\w'’.-]*(?:,? (?:the )?[A-Z][\w'’.-]*){0,4}"
_YEAR = r"(?:1[0-9]{3}|20[0-2][0-9])"
_APPROX = (
    r"(?i:at least|more than|over|about|around|nearly|almost|some|approximately|up to|"
    r"fewer than|less than|an estimated|roughly|only|just|another|a further|a total of)"
)
_PRONOUNS = {
    "he", "she", "it", "they", "this", "these", "that", "those", "there", "his", "her",
    "its", "their", "we", "i", "you", "our", "such", "both", "one", "some", "many", "most",
    "all", "another", "each", "here", "which", "who", "what", "but", "and", "however",
    "him", "them", "us", "me", "my", "your",
}
# words that open a clause, not a noun phrase ("In classical Greece he was ...")
_NOT_SUBJECT_START = {
    "in", "on", "at", "for", "by", "during", "after", "before", "from", "with", "as",
    "since", "although", "though", "when", "while", "if", "because", "unlike", "like",
    "under", "until", "despite", "following", "among", "between", "according", "through",
    "within", "without", "upon", "over", "once", "whereas", "where", "why", "how", "so",
    "yet", "nor", "or", "then", "thus", "also", "today", "later", "earlier", "yesterday",
} | _PRONOUNS
_PREPOSITIONS = {
    "in", "on", "at", "after", "before", "during", "following", "by", "from", "with",
    "under", "until", "since", "for", "through", "throughout", "within", "upon", "despite",
    "between", "among", "amid", "around", "about", "of", "to", "towards", "near", "over",
}
_DISCOURSE = re.compile(
    r"^(?:However|Furthermore|Moreover|Then|For example|For instance|In addition|Meanwhile|"
    r"Also|Subsequently|Thus|Therefore|Later|Eventually|Nevertheless|Finally|Instead|"
    r"Initially|Consequently|Additionally|Similarly|In contrast|As a result|Indeed|Still|"
    r"Nonetheless|Today|Originally|Soon|Ultimately|In fact|Overall|Separately|Again), "
)
_SUBORDINATOR = re.compile(
    r"^(?:When|After|Before|While|As|Since|Until|Once|Although|Though|Because|If|Whereas) "
)
_LEADING_MODIFIERS = {
    "meanwhile", "but", "and", "however", "yesterday", "today", "earlier", "later", "when",
    "after", "before", "as", "the", "a", "an", "in", "on", "at", "also", "former", "then",
    "now", "last", "acting", "outgoing", "incoming", "if", "while", "since", "senior",
    "following", "under", "by", "with", "from", "for", "to", "during", "of", "said", "says",
}
_PAST_TENSE = {
    "written": "wrote", "founded": "founded", "discovered": "discovered",
    "invented": "invented", "directed": "directed", "designed": "designed",
    "developed": "developed", "created": "created", "composed": "composed",
    "published": "published", "built": "built", "established": "established",
    "painted": "painted", "produced": "produced", "introduced": "introduced",
    "proposed": "proposed", "coined": "coined", "led": "led", "defeated": "defeated",
    "killed": "killed", "assassinated": "assassinated", "conquered": "conquered",
    "captured": "captured", "edited": "edited", "illustrated": "illustrated",
    "formulated": "formulated", "described": "described", "translated": "translated",
    "recorded": "recorded", "performed": "performed", "won": "won",
    "succeeded": "succeeded", "replaced": "replaced", "elected": "elected",
    "appointed": "appointed", "commissioned": "commissioned", "popularized": "popularized",
    "popularised": "popularised", "pioneered": "pioneered", "organized": "organized",
    "organised": "organised", "sponsored": "sponsored", "signed": "signed",
    "owned": "owned", "ruled": "ruled", "invaded": "invaded", "acquired": "acquired",
    "bought": "bought", "purchased": "purchased", "hosted": "hosted", "coached": "coached",
    "arrested": "arrested", "charged": "charged", "rejected": "rejected",
    "criticised": "criticised", "criticized": "criticized", "announced": "announced",
    "released": "released", "launched": "launched", "funded": "funded", "opened": "opened",
}
_PARTICIPLES = "|".join(sorted(_PAST_TENSE, key=len, reverse=True))
_SPEECH_VERBS = (
    r"said|says|told reporters|warned|announced|claimed|argued|believes|believed|predicted|"
    r"insists|insisted|admitted|denied|confirmed|conceded|stated|maintains|maintained|"
    r"estimates|estimated|reported|reports|hopes|fears|expects|expected|suggested|suggests"
)
_BARE_ROLES = {
    "prime minister", "vice president", "deputy prime minister", "president", "premier",
    "treasurer", "minister", "leader", "governor", "secretary", "chairman", "director",
    "chief executive", "spokesman", "commissioner", "ambassador", "commander", "mayor",
    "deputy premier", "deputy leader", "lieutenant governor", "chief", "general secretary",
    "deputy president", "foreign minister", "defence minister", "police commissioner",
    "lord mayor", "chief minister", "first minister", "chief secretary",
}
_ROLE_WORDS = (
    r"president|leader|head|chairman|chairwoman|chief|director|founder|minister|secretary|"
    r"governor|mayor|king|queen|emperor|prince|princess|son|daughter|wife|husband|father|"
    r"mother|brother|sister|author|editor|commander|captain|general|premier|spokesman|"
    r"spokeswoman|ambassador|chancellor|owner|manager|coach|founder|creator|inventor|"
    r"composer|architect|senator|member|professor|dean|archbishop|bishop|pope|ruler"
)
_ROLE_NOUNS = (
    r"Minister|Premier|President|Treasurer|Secretary|Commissioner|Chairman|Leader|Governor|"
    r"Attorney-General|Director|Chief Executive|Ambassador|Commander|Mayor|Spokesman|Chief"
)
_ROLE_OR_BODY = {"Minister", "President", "Premier", "Government", "Party"}
_DANGLING = {"and", "or", "of", "the", "in", "to", "for", "by", "a", "an", "on", "at"}
_VAGUE_SINGLE = {
    "group", "class", "family", "collection", "body", "branch", "field", "area", "unit",
    "system", "method", "concept", "type", "set", "list", "study", "practice", "theory",
}
_VAGUE_HEADS = {
    "result", "part", "subject", "matter", "case", "way", "number", "lot", "thing", "one",
    "same", "only", "first", "most", "best", "main", "key", "major", "good", "great",
    "important", "example", "source", "member", "focus", "combination", "mixture", "set",
    "series", "variety", "range", "kind", "sort", "means", "basis", "reason", "problem",
    "question", "issue", "point", "factor", "form", "term", "word", "name", "view", "idea",
}


@dataclass(frozen=True)
class _SentenceView:
    """A sentence plus what templates may use.

    ``text`` is the sentence used to phrase questions (a leading he/she resolved to the
    subject of a biography when the previous sentence names that person); ``proper``
    holds the article's words seen capitalised in mid-sentence (proper-noun evidence).
    """

    text: str
    title: str
    person: str | None
    proper: frozenset[str]
    is_lead: bool
    is_news: bool = False


def _strip_final(s: str) -> str:
    return s.rstrip().rstrip(".!;:,").rstrip()


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _decap_article(s: str) -> str:
    # "The aardvark" -> "the aardvark" inside a question
    return re.sub(r"^(The|A|An) ", lambda m: m.group(1).lower() + " ", s)


def _first_word(s: str) -> str:
    m = re.match(r"[\"'“(]*([A-Za-z]+)", s)
    return m.group(1).lower() if m else ""


def _subject_is_specific(subject: str, v: _SentenceView) -> bool:
    # a question's subject must name something: a word of the article title
    # ("The aardvark" on "Aardvark") or a word the article capitalises mid-sentence
    words = [w.strip(",.;:'’\"()") for w in subject.split()]
    words = [w for w in words if w]
    if not words or words[0].lower() in _NOT_SUBJECT_START:
        return False
    if any(w.lower() in _PRONOUNS for w in words[1:]):
        return False
    title_words = {w.lower() for w in re.findall(r"\w+", v.title) if len(w) > 3}
    if any(w[:1].isupper() for w in words[1:]):
        return True  # capitalised after the first word: "The Federal Government"
    for w in words:
        if w.lower() in {"the", "a", "an", "of", "and"}:
            continue
        if w.lower() in title_words or (w[:1].isupper() and w in v.proper):
            return True
        if v.person and w in v.person.split():
            return True
    return False


_AUXILIARIES = {"is", "are", "was", "were", "has", "have", "had", "did", "does", "do", "be", "been"}
_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|do|does|did|can|could|will|would|shall|"
    r"should|may|might|must|[a-z]{3,}ed|became|become|began|begun|came|went|made|took|"
    r"gave|won|lost|left|fell|rose|grew|ran|found|held|led|met|paid|sold|told|wrote|got|saw|"
    r"knew|built|brought|bought|thought|taught|fought|sent|spent|kept|felt|stood|chose|drew|"
    r"flew|spoke|threw|broke|struck|laid|said|says|set|put|hit|let|spread|beat|cost|sat|"
    r"won|bore|born|dug|shot|sank|sang|stole|swept|wore|overtook|undertook|includes|"
    r"produces|makes|takes|uses|gives|comes|becomes|causes|requires|provides|receives|"
    r"contains|consumes|describes|ranges|continues|remains|lives|leaves|loses|serves|"
    r"believes|argues|goes|accounts|reaches|holds|runs|grows|shows|means|stands|lies)\b"
)


def _finish_question(q: str) -> str | None:
    # shared tidy-up: drop a discourse opener ("However, "), capitalise, end with "?",
    # and reject questions that are too short or long, unbalanced, or have no verb
    q = _DISCOURSE.sub("", q.strip())
    q = _cap(_strip_final(q.rstrip("?"))) + "?"
    not_an_opener = (_PRONOUNS - {"who", "what", "which"}) | _AUXILIARIES
    if _first_word(q) in not_an_opener or q[:1] in {"(", "[", "-", "−"}:
        return None
    if not 5 <= len(q.split()) <= 32 or q.count('"') % 2 or q.count("(") != q.count(")"):
        return None
    return q if _VERB.search(q) else None


# a comma, semicolon, colon or spaced dash ends a clause; "16,000" does not
_CLAUSE_END = re.compile(r"[;:]|,(?!\d{3}\b)|\s[–—]\s")
_ASIDE_OPENERS = {
    "with", "who", "which", "in", "on", "at", "for", "by", "from", "as", "like", "including",
    "especially", "however", "though", "too", "also", "then", "now", "after", "before",
    "during", "under", "according", "perhaps", "probably", "reportedly", "apparently",
}


def _clause(text: str, min_words: int = 5) -> str:
    # the text up to the end of its first clause: the shortest prefix ending at a comma,
    # semicolon, colon or dash that has min_words words and a verb, never inside or at the
    # end of a short comma-delimited aside (", with a servant,"); else all of it
    cuts = list(_CLAUSE_END.finditer(text))

    def is_aside(i: int) -> bool:  # the segment between cuts i and i + 1
        if i < 0 or i + 1 >= len(cuts) or cuts[i].group(0) != "," or cuts[i + 1].group(0) != ",":
            return False
        segment = text[cuts[i].end():cuts[i + 1].start()]
        return len(segment.split()) <= 5 and _first_word(segment) in _ASIDE_OPENERS

    for i, cut in enumerate(cuts):
        if is_aside(i) or is_aside(i - 1):
            continue
        head = text[:cut.start()]
        if len(head.split()) >= min_words and _VERB.search(head):
            return head
    return _strip_final(text)


def _echo_question(sentence: str, start: int, end: int, wh: str) -> str | None:
    """Turn ``sentence`` into a question about ``sentence[start:end]``, asked with ``wh``.

    - fronted phrase: "In 1969, Apollo 11 landed ..." -> "Apollo 11 landed ... in what year?"
    - inside a leading subordinate clause: "When the Act was passed in 1862, ..." ->
      "The Act was passed in what year?"
    - inside a leading prepositional phrase: "After the war in 1865, X did Y, ..." ->
      "After the war, X did Y in what year?"
    - otherwise the phrase is replaced in place and the question ends with its clause:
      "Rand's novel was published in 1936, and ..." -> "Rand's novel was published in what year?"
    """
    before, after = sentence[:start], sentence[end:]
    if before.rstrip().endswith("("):
        return None
    if not before.strip():
        if _first_word(wh) not in _PREPOSITIONS:  # subject position: "What percentage of ..."
            return _finish_question(wh + _clause(after, 3))
        body = after[2:] if after.startswith(", ") else after.lstrip()
        if _first_word(body) in _NOT_SUBJECT_START:
            return None
        return _finish_question(_clause(body) + " " + wh)
    first_comma = sentence.find(", ")
    if 0 <= first_comma and end <= first_comma:
        if _first_word(wh) not in _PREPOSITIONS:
            return None  # "With 12.7% of ..., X is ..." -> no clean question
        intro = before + wh + sentence[end:first_comma]
        if _SUBORDINATOR.match(intro) and _VERB.search(_SUBORDINATOR.sub("", intro)):
            return _finish_question(_SUBORDINATOR.sub("", intro))
        main = sentence[first_comma + 2:]
        if _first_word(main) in _NOT_SUBJECT_START or _first_word(sentence) not in _PREPOSITIONS:
            return None
        intro_without = (before + sentence[end:first_comma]).strip()
        return _finish_question(f"{intro_without}, {_clause(main)} {wh}")
    if before.endswith(", ") and after.startswith(","):
        return _finish_question(f"{before[:-2]},{_clause(after[1:])} {wh}")
    cut = _CLAUSE_END.search(after)
    if re.search(r"\b(?:which|that|who|whom|whose|and|but|or|when|where|while|the)\s*$", before):
        return None  # "... a charge which in what year?" / "the how many metres event"
    if re.search(r"^[^,]*, (?:which|who|whom|whose|where|a|an|the|[a-z]+ed)\b[^,]*$", before):
        return None  # in a relative clause or apposition: "Life expectancy, which was ..."
    question = before + wh + (after[:cut.start()] if cut else after)
    if not _VERB.search(question.replace(wh, "")):
        return None
    return _finish_question(question)


def _t_lead_dates(v: _SentenceView) -> list[tuple[str, str, str]]:
    # "Abraham Lincoln (February 12, 1809 – April 15, 1865) was ..." -> born / died
    if not (v.person and v.is_lead):
        return []
    m = re.match(
        rf"^(?:The )?(?P<name>{_NAME}) \((?:[^()]*?; )?(?:born )?(?P<birth>{_DATE})"
        rf"(?:\s*[–—-]\s*(?P<death>{_DATE}))?\)",
        v.text,
    )
    if not m or not set(m.group("name").split()) & set(v.person.split()):
        return []
    name = m.group("name")
    birth, death = m.group("birth"), m.group("death")
    out = []
    if death and re.fullmatch(r"\d{3,4}", birth) and " BC" in death:
        birth = None  # "384–322 BC": the era belongs to both years; skip the birth
    if birth:
        out.append((f"When was {name} born?", birth, "birth_date"))
    if death:
        out.append((f"When did {name} die?", death, "death_date"))
    return out


def _t_born(v: _SentenceView) -> list[tuple[str, str, str]]:
    out = []
    m = re.match(rf"^Born (?:in|at) (?P<place>{_PLACE}), (?P<name>{_NAME}) [a-z]", v.text)
    if m and not re.search(_YEAR, m.group("place")) and _subject_is_specific(m.group("name"), v):
        out.append((f"Where was {m.group('name')} born?", m.group("place"), "birthplace"))
    m = re.match(
        rf"^(?P<name>{_NAME}) was born (?:on |in )?(?P<date>(?:{_MONTHS})?[^,.;]*?\b{_YEAR})\b",
        v.text,
    )
    if m and _subject_is_specific(m.group("name"), v) and re.fullmatch(_DATE, m.group("date")):
        out.append((f"When was {m.group('name')} born?", m.group("date"), "birth_date"))
    m = re.match(rf"^(?P<name>{_NAME}) was born (?:[^,.;]*? )?in (?P<place>{_PLACE})", v.text)
    if (
        m and _subject_is_specific(m.group("name"), v)
        and not re.match(rf"(?:{_MONTHS}|{_YEAR})", m.group("place"))
    ):
        out.append((f"Where was {m.group('name')} born?", m.group("place"), "birthplace"))
    return out


def _t_capital(v: _SentenceView) -> list[tuple[str, str, str]]:
    out = []
    for m in re.finditer(
        rf"(?P<x>{_NAME}) is the (?:national )?capital(?: and (?:the )?largest city)? of "
        rf"(?P<y>(?:the )?{_NAME})",
        v.text,
    ):
        if _first_word(m.group("x")) not in _NOT_SUBJECT_START:
            out.append((f"What is the capital of {m.group('y')}?", m.group("x"), "capital"))
    m = re.search(
        rf"\b[Tt]he capital(?: and (?:the )?largest city)? of (?P<y>(?:the )?{_NAME}) is (?P<x>{_NAME})",
        v.text,
    )
    if m:
        out.append((f"What is the capital of {m.group('y')}?", m.group("x"), "capital"))
    return out


def _t_official_language(v: _SentenceView) -> list[tuple[str, str, str]]:
    m = re.search(
        rf"\b[Tt]he (?P<adj>official|national) language(?P<pl>s)? of (?P<x>(?:the )?{_NAME}) "
        rf"(?:is|are|was|were) (?P<y>[A-Z][a-z]+(?:(?:, | and | or )[A-Z][a-z]+){{0,3}})",
        v.text,
    )
    if not m:
        return []
    verb = "are" if m.group("pl") else "is"
    q = f"What {verb} the {m.group('adj')} language{m.group('pl') or ''} of {m.group('x')}?"
    return [(q, m.group("y"), "official_language")]


def _t_population(v: _SentenceView) -> list[tuple[str, str, str]]:
    number = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)? (?:million|billion))"
    approx = rf"(?:{_APPROX} )?"
    out = []
    m = re.search(
        rf"\b(?P<x>{_NAME}) (?:has|had) (?:a|an estimated|a total) population of {approx}{number}",
        v.text,
    )
    if m and _first_word(m.group("x")) not in _NOT_SUBJECT_START:
        out.append((f"What is the population of {m.group('x')}?", m.group("n"), "population"))
    m = re.search(
        rf"\b[Tt]he (?:total |estimated )?population of (?P<x>(?:the )?{_NAME}) "
        rf"(?:is|was|stood at|reached|was estimated at|is estimated at|is estimated to be) {approx}{number}",
        v.text,
    )
    if m:
        past = re.search(r" (?:was|stood|reached) ", m.group(0))
        out.append((f"{'What was' if past else 'What is'} the population of {m.group('x')}?",
                    m.group("n"), "population"))
    return out


def _t_agent(v: _SentenceView) -> list[tuple[str, str, str]]:
    # "Animal Farm was written by George Orwell." -> "Who wrote Animal Farm?"
    verbs = _PARTICIPLES
    m = re.match(
        rf"^(?:(?:In|By|On|During|After) [^,]{{1,40}}, )?"
        rf"(?P<subj>(?:The |A |An )?[A-Z][^,;()\"]{{1,60}}?) (?P<aux>was|were) "
        rf"(?:(?:first|later|originally|also|eventually|subsequently|largely|jointly|initially) )?"
        rf"(?P<verb>{verbs}) by (?P<agent>(?:the )?{_NAME})"
        rf"(?=[,.;]| (?:in|on|at|for|and|as|with|from|to|after|during|who|which|when|while|"
        rf"but|because|before|under|over|until|through)\b)",
        v.text,
    )
    if not m:
        return []
    subj, verb, agent = m.group("subj"), m.group("verb"), m.group("agent")
    if not _subject_is_specific(subj, v) or len(subj.split()) > 8:
        return []
    if re.search(r"\b(?:is|was|are|were|has|had|have)\b", subj):
        return []
    wh = "What" if agent.lower().startswith("the ") else "Who"
    return [(f"{wh} {_PAST_TENSE[verb]} {_decap_article(subj)}?", agent, "agent_by")]


def _t_named_after(v: _SentenceView) -> list[tuple[str, str, str]]:
    m = re.match(
        rf"^(?P<subj>(?:The |A |An )?[A-Z][^,;()\"]{{1,60}}?) (?P<aux>is|was|were|are) "
        rf"named (?:after|for) (?P<agent>(?:the )?{_NAME})(?=[,.;]| \(| (?:in|who|which|and|because)\b)",
        v.text,
    )
    if not m or not _subject_is_specific(m.group("subj"), v):
        return []
    subj = _decap_article(m.group("subj"))
    return [(f"After whom or what {m.group('aux')} {subj} named?", m.group("agent"), "named_after")]


def _t_located(v: _SentenceView) -> list[tuple[str, str, str]]:
    m = re.match(
        rf"^(?P<subj>(?:The )?[A-Z][\w'’.-]*(?: [\w'’.-]+){{0,4}}?) (?P<aux>is|was|are|were) "
        rf"(?:located|situated) (?P<prep>in|on|at|near) (?P<where>(?:the )?[^,.;()]{{3,60}}?)(?=[,.;(]|$)",
        v.text,
    )
    if not m or not _subject_is_specific(m.group("subj"), v):
        return []
    where = m.group("where")
    if not re.search(r"\b[A-Z]", where) or len(where.split()) > 8:
        return []
    return [(f"Where {m.group('aux')} {_decap_article(m.group('subj'))} located?", where, "located")]


def _t_role(v: _SentenceView) -> list[tuple[str, str, str]]:
    # "Israeli Prime Minister Ariel Sharon said ..." -> "Who is the Israeli Prime Minister?"
    out = []
    for m in re.finditer(
        rf"\b(?P<role>(?:[A-Z][a-z]+(?:-[A-Z][a-z]+)? ){{1,5}}(?:{_ROLE_NOUNS}))"
        rf"(?: (?:Senator|Dr|Mr|Mrs|Ms|General|Colonel))? "
        rf"(?P<name>[A-Z][a-z'’-]+(?: [A-Z][a-z'’-]+){{1,2}})\b",
        v.text,
    ):
        role_words = m.group("role").split()
        while role_words and role_words[0].lower() in _LEADING_MODIFIERS:
            if role_words[0].lower() in {"former", "acting", "outgoing", "incoming", "last"}:
                role_words = []
                break
            role_words = role_words[1:]
        role = " ".join(role_words)
        if not role or role.lower() in _BARE_ROLES:
            continue
        name = m.group("name")
        if re.search(r"['’]s?$", name) or name.split()[-1] in _ROLE_OR_BODY:
            continue
        out.append((f"Who is the {role}?", name, "role_holder"))
    return out


# a reported clause does not open with these: "says if ...", "estimates of ..." (a noun)
_NOT_REPORTED_START = {
    "if", "when", "while", "although", "though", "because", "after", "before", "unless",
    "of", "since", "until", "as", "once", "for", "in", "on", "at", "by", "with", "from",
}


def _t_apposition(v: _SentenceView) -> list[tuple[str, str, str]]:
    # "Jonas Savimbi, the leader of UNITA, was killed ..." -> "Who was the leader of UNITA?"
    out = []
    for m in re.finditer(
        rf"(?<![\w'’.-])(?P<name>[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){{1,3}}), the "
        rf"(?P<role>(?:[a-z][\w-]* ){{0,4}}(?:{_ROLE_WORDS})(?: [a-z][\w-]*){{0,2}} of "
        rf"(?:the )?[A-Z][\w'’-]*(?: (?:of |and |the )?[A-Z][\w'’-]*){{0,5}}),",
        v.text,
    ):
        name = m.group("name")
        if name.split()[0].lower() in _NOT_SUBJECT_START or name.split()[0] in {"The", "A", "An"}:
            continue
        tense = "is" if v.is_news else "was"
        out.append((f"Who {tense} the {m.group('role')}?", name, "apposition"))
    return out


def _t_speaker(v: _SentenceView) -> list[tuple[str, str, str]]:
    # "Mr Downer says the major threat ... is no longer there." ->
    # "Who says the major threat ... is no longer there?"
    m = re.match(
        rf"^(?P<name>(?:The )?(?:(?:Mr|Mrs|Ms|Dr|Senator|Professor) )?{_NAME}) "
        rf"(?P<verb>(?:has |had |have )?(?:{_SPEECH_VERBS})) (?:that )?(?P<content>[a-z][^\"]{{15,}})$",
        v.text,
    )
    if not m or not _subject_is_specific(m.group("name"), v):
        return []
    name = m.group("name")
    if re.search(r"\b(?:is|was|has|had|have|are|were)$", name) or len(name.split()) > 7:
        return []
    content = _clause(m.group("content"))
    if len(content.split()) < 5 or _first_word(content) in _NOT_REPORTED_START:
        return []  # "if Lockett does make a comeback", "of 1.8 million" (a noun use)
    q = _finish_question(f"Who {m.group('verb')} {content}")
    return [(q, name, "speaker")] if q else []


_ON_DATE = re.compile(rf"\b(?P<prep>[Oo]n) (?P<date>{_FULL_DATE})\b")
_IN_YEAR = re.compile(
    rf"\b(?P<prep>[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil) (?:(?:early|late|mid|mid-|the spring of|"
    rf"the summer of|the autumn of|the fall of|the winter of) )?(?:(?:{_MONTHS}) )?(?P<year>{_YEAR})\b"
)


def _t_year_cloze(v: _SentenceView) -> list[tuple[str, str, str]]:
    # at most two years in the sentence, each once; the asked one sits in a phrase such as
    # "in [July] 1969", "since 1990" or "on April 12, 1861":
    # "In 1969, Apollo 11 landed on the Moon." -> "Apollo 11 landed on the Moon in what year?"
    s = v.text
    years = re.findall(rf"\b{_YEAR}\b", s)
    if not 1 <= len(years) <= 2 or len(set(years)) != len(years):
        return []
    if re.search(r"\b\d{4}s\b|\b\d{5,}\b|[–-]\d{2,4}\b", s):
        return []  # decades, long numbers and ranges ("1939–45") make the answer ambiguous
    for year in years:
        m = next((m for m in _ON_DATE.finditer(s) if year in m.group("date")), None)
        if m:
            q = _echo_question(s, m.start(), m.end(), f"{m.group('prep').lower()} what date")
            if q:
                return [(q, m.group("date"), "date_cloze")]
            continue
        m = next((m for m in _IN_YEAR.finditer(s) if m.group("year") == year), None)
        if m:
            q = _echo_question(s, m.start(), m.end(), f"{m.group('prep').lower()} what year")
            if q:
                return [(q, year, "year_cloze")]
    return []


def _t_percent(v: _SentenceView) -> list[tuple[str, str, str]]:
    # "About 45 per cent of voters ..." -> "What percentage of voters ...?"
    found = list(re.finditer(
        rf"(?:\b{_APPROX} )?(?<![\w.])(?P<ans>\d+(?:\.\d+)?(?:%| per ?cent\b| percent\b))", v.text))
    if len(found) != 1:
        return []
    m = found[0]
    if re.search(r"(?:\ba|\ban|'s|’s|\d\s*(?:to|and|or|-|–))\s*$", v.text[:m.start()]):
        return []  # attributive ("a 10 per cent drop") or a range ("50 to 80%")
    q = _echo_question(v.text, m.start(), m.end(), "what percentage")
    return [(q, m.group("ans"), "percent")] if q else []


def _t_how_many(v: _SentenceView) -> list[tuple[str, str, str]]:
    # "At least 15 people were killed in X." -> "How many people were killed in X?"
    for m in re.finditer(
        rf"(?<![$£€\w.,−–-])(?:(?:{_APPROX}) )?"
        r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?: (?P<scale>million|billion|thousand|hundred))? "
        r"(?P<noun>[a-z][a-z-]+s)\b(?! of\b)",
        v.text,
    ):
        num = m.group("num")
        if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", num):
            continue  # a year, not a count
        answer = num + (f" {m.group('scale')}" if m.group("scale") else "")
        if v.text.count(num) != 1:
            continue
        noun = m.group("noun")
        if noun in {"times", "percent", "cents", "others", "is", "was", "has", "this", "its",
                    "as", "us", "bps", "hours", "minutes", "seconds"}:
            continue
        before = v.text[:m.start()]
        if re.search(r"(?:\ba|\ban|'s|’s|\b(?:wo)?mens|\d\s*(?:to|and|or|-|–))\s*$", before):
            continue  # attributive ("the men's 50 metres") or a range ("1.6 to 1.7 billion")
        if re.search(r"[A-Z][\w'’]*\s*$", before) and before.strip():
            continue  # part of a name: "September 11 attacks", "1 John 4"
        if not before.strip() or re.fullmatch(r"\s*(?:The|the|A|a)\s*", before):
            q = _finish_question(f"How many {noun}{_clause(v.text[m.end():], 3)}")
        else:
            q = _echo_question(v.text, m.start(), m.end(), f"how many {noun}")
        if q and "respectively" not in q and re.search(r"\b[A-Z][a-z]", q[1:]):
            return [(q, answer, "how_many")]  # one count question per sentence
    return []


def _t_definition(v: _SentenceView) -> list[tuple[str, str, str]]:
    # "Anarchism is a political philosophy that ..." -> "What is Anarchism?"
    m = re.match(
        r"^(?P<subj>(?:The |An? )?[A-Z][\w'’.-]*(?: [\w'’.-]+){0,5}?)(?: \([^()]*\))? "
        r"(?P<verb>is|was|are|were) (?P<det>an?|the) "
        r"(?P<pred>[^,;:()\"]+?)(?=,| that | which | who | whose | where | in which | with |;|\.$| \()",
        v.text,
    )
    if not m:
        return []
    subj, pred = m.group("subj"), m.group("pred").strip()
    if not _subject_is_specific(subj, v):
        return []
    if re.search(r"\b(?:is|was|are|were|has|had|have|and|or|but|says|said|also|now|then|only|"
                 r"still|not)\b|\b\w+ly\b|\b[a-z]+ed\b", subj):
        return []
    words = pred.split()
    if words and (words[-1].lower() in _DANGLING or re.fullmatch(r"[a-z]+(?:ed|ing)", words[-1])):
        return []  # cut inside a phrase: "branch of biology concerned [with ...]"
    if re.search(r"\b(?:is|are|was|were|has|have|had|does|did)\b", pred):
        return []  # a second clause: "largest Shi'a country and Pakistan has ..."
    if not 1 <= len(words) <= 10 or words[0].lower() in _VAGUE_HEADS:
        return []
    if re.match(r", [\w-]+(?: [\w-]+)?(?:,| and | or )", v.text[m.end("pred"):]):
        return []  # the first item of a list: "cultivation of animals, plants, and fungi"
    if len(words) == 1 and v.text[m.end("pred"):m.end("pred") + 1] == ",":
        return []  # "the Natural Bridge was a large, ..." -> "large" is not an answer
    if len(words) == 1 and words[0].lower() in _VAGUE_SINGLE:
        return []  # "What are the alkali metals?" -> "group"
    wh = "Who" if v.person and (subj == v.person or subj in v.person.split()) else "What"
    return [(f"{wh} {m.group('verb')} {_decap_article(subj)}?", pred, "definition")]


# Templates in priority order: rarer, more reliable ones first (a passage keeps at most
# `max_per_passage` questions, one per sentence).
_TEMPLATES: tuple[Callable[[_SentenceView], list[tuple[str, str, str]]], ...] = (
    _t_lead_dates,
    _t_born,
    _t_capital,
    _t_official_language,
    _t_population,
    _t_agent,
    _t_named_after,
    _t_located,
    _t_role,
    _t_apposition,
    _t_definition,
    _t_speaker,
    _t_percent,
    _t_how_many,
    _t_year_cloze,
)


def _person_name(article: Article) -> str | None:
    # a biography: the lead sentence carries "(born ...)" or "(DATE – DATE)" and the
    # lead talks about he/she more than it
    if not article.source.startswith("wikipedia"):
        return None
    lead = article.text[:3000]
    first = split_sentences(lead.split("\n\n")[0])[:1]
    if not first:
        return None
    if not re.search(rf"\((?:[^()]*?; )?(?:born |b\. )?{_DATE}\s*[–—-]\s*{_DATE}\)|\(born ", first[0]):
        return None
    personal = len(re.findall(r"\b(?:he|she|his|her|him)\b", lead, re.I))
    neuter = len(re.findall(r"\b(?:it|its)\b", lead, re.I))
    return re.sub(r"\s*\(.*\)$", "", article.title) if personal >= 3 and personal > neuter else None


def _proper_words(article: Article) -> frozenset[str]:
    # words capitalised somewhere other than at the start of a sentence
    words: set[str] = set()
    for sentence in split_sentences(article.text):
        for w in sentence.split()[1:]:
            w = w.strip(",.;:'’\"()!?")
            if w[:1].isupper() and w.lower() not in _PRONOUNS and w not in {"I"}:
                words.add(w)
    return frozenset(words)


def _resolve_pronoun(sentence: str, previous: str, person: str | None) -> str:
    # on a biography page, a leading "He"/"She" whose previous sentence names the
    # subject (its surname) is taken to be the subject
    if not person or not previous:
        return sentence
    m = re.match(r"^(He|She|His|Her) ", sentence)
    if not m or person.split()[-1] not in previous:
        return sentence
    replacement = person + ("'s" if m.group(1) in {"His", "Her"} else "")
    return replacement + sentence[len(m.group(1)):]


def _question_ok(question: str | None, answer: str) -> bool:
    if not question:
        return False
    q = question.strip()
    if not q.endswith("?") or not 3 <= len(q.split()) <= 40:
        return False
    if not answer.strip() or answer.lower() in q.lower():
        return False
    if len(answer.split()) > 10 or _JUNK.search(q) or re.search(r"[a-z]{2}\.[A-Z][a-z]", q):
        return False  # (the last: two sentences glued without a space in the source)
    return q.count("(") == q.count(")")


def _qa_id(doc_id: str, question: str, answer: str) -> str:
    return "qa-" + hashlib.sha1(f"{doc_id}\x1f{question}\x1f{answer}".encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=64)
def _article_facts(article: Article) -> tuple[str | None, frozenset[str], str]:
    # (biography subject or None, proper-noun evidence, lead sentence), once per article
    first = split_sentences(article.text.split("\n\n")[0])[:1]
    return _person_name(article), _proper_words(article), first[0] if first else ""


def qa_from_passage(passage: Passage, article: Article, max_per_passage: int = 3) -> list[QAExample]:
    """Template questions whose answers are spans of ``passage.text`` (no distractors)."""
    if passage.doc_id != article.doc_id:
        raise InputError(f"passage {passage.passage_id!r} does not come from {article.doc_id!r}")
    person, proper, lead = _article_facts(article)
    found: list[tuple[int, int, str, str, str]] = []
    previous = ""
    for s_index, sentence in enumerate(split_sentences(passage.text)):
        view = _SentenceView(
            text=_resolve_pronoun(sentence, previous, person),
            title=article.title,
            person=person,
            proper=proper,
            is_lead=sentence == lead and passage.passage_id.endswith("#p0"),
            is_news=article.source.startswith("abc-news"),
        )
        previous = view.text
        for priority, template in enumerate(_TEMPLATES):
            for question, answer, name in template(view):
                answer = answer.strip().rstrip(",;:")
                if answer.endswith(".") and not re.search(r"\b[A-Z]\.$|\bc\.$", answer):
                    answer = answer[:-1]
                if answer and answer in sentence and _question_ok(question, answer):
                    found.append((priority, s_index, question, answer, name))
    found.sort(key=lambda t: (t[0], t[1]))
    out: list[QAExample] = []
    used_answers: set[str] = set()
    used_sentences: set[int] = set()
    for _, s_index, question, answer, name in found:
        if len(out) >= max_per_passage:
            break
        if answer in used_answers or s_index in used_sentences:
            continue  # spread the questions over the passage
        used_answers.add(answer)
        used_sentences.add(s_index)
        assert answer in passage.text
        out.append(QAExample(
            id=_qa_id(article.doc_id, question, answer),
            question=question,
            answers=[answer],
            context=passage.text,
            doc_id=article.doc_id,
            template=name,
        ))
    return out


def _pick_distractors(
    example: QAExample, pool: list[Passage], seed: int, n_range: tuple[int, int]
) -> list[str]:
    # 1..3 passages of other documents of the same split that do not contain the answer
    rng = random.Random(f"{seed}:{example.id}")
    n = rng.randint(*n_range)
    chosen: list[str] = []
    used_docs = {example.doc_id}
    for _ in range(50 * max(n, 1)):
        if len(chosen) >= n or not pool:
            break
        p = pool[rng.randrange(len(pool))]
        if p.doc_id in used_docs or any(a in p.text for a in example.answers):
            continue
        used_docs.add(p.doc_id)
        chosen.append(p.text)
    return chosen


_QUESTION_STOPWORDS = frozenset(
    "the a an of in on at to for by with and or is was were are what who whom when where how "
    "many year date percentage which did does do from as that this it its has have had be "
    "after says said".split()
)


class _FactIndex:
    """Passages indexed by word, to ask: does any passage state this QA example's fact?

    A passage states it when it holds the answer and at least ``overlap`` of the
    question's content words.
    """

    def __init__(self, texts: Iterable[str], overlap: float = 0.6) -> None:
        self.texts = list(texts)
        self.overlap = overlap
        self.by_word: dict[str, list[int]] = {}
        for i, text in enumerate(self.texts):
            for w in set(re.findall(r"[a-z][\w'-]+", text.lower())):
                self.by_word.setdefault(w, []).append(i)

    def states(self, example: QAExample) -> bool:
        words = {w for w in re.findall(r"[a-z][\w'-]+", example.question.lower())
                 if w not in _QUESTION_STOPWORDS}
        hits: dict[int, int] = {}
        for w in words:
            for i in self.by_word.get(w, ()):
                hits[i] = hits.get(i, 0) + 1
        need = self.overlap * len(words)
        return any(k >= need and any(a in self.texts[i] for a in example.answers)
                   for i, k in hits.items())


def qa_examples(
    split: str,
    min_words: int = 60,
    target_words: int = 100,
    max_words: int = 200,
    max_per_passage: int = 3,
    distractors: tuple[int, int] = (1, 3),
    seed: int = 0,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    salt: str = DEFAULT_SPLIT_SALT,
) -> list[QAExample]:
    """Extractive QA examples for one split, built by rule-based templates.

    The context of an example is the passage (as in :func:`autoencoder_passages`) holding
    the answer; ``distractors`` gives how many other passages (min, max) to attach, drawn
    from other documents of the same split. A question asked twice in a split with
    different answers is dropped (ambiguous); with the same answer it is kept once.
    Held-out questions whose fact a training passage also states (the answer plus 60%
    of the question's content words) are dropped, so evaluation facts are unseen.
    """
    _validate_lengths(min_words, target_words, max_words)
    if not isinstance(max_per_passage, int) or max_per_passage < 1:
        raise InputError(f"max_per_passage must be a positive integer, got {max_per_passage!r}")
    lo, hi = distractors
    if not 0 <= lo <= hi:
        raise InputError(f"distractors must be (min, max) with 0 <= min <= max, got {distractors!r}")
    docs = _documents_of_split(split, heldout_fraction, salt)
    passages: list[Passage] = []
    raw: list[QAExample] = []
    for doc in docs:
        doc_passages = make_passages(doc, min_words, target_words, max_words)
        passages.extend(doc_passages)
        for passage in doc_passages:
            raw.extend(qa_from_passage(passage, doc, max_per_passage))

    if split == "heldout":
        # the news files cover the same stories several times: drop held-out questions
        # whose fact is also stated in a training passage
        train_docs = _documents_of_split("train", heldout_fraction, salt)
        seen_in_train = _FactIndex(
            p.text for d in train_docs for p in make_passages(d, min_words, target_words, max_words))
        raw = [ex for ex in raw if not seen_in_train.states(ex)]

    answers_of: dict[str, set[str]] = {}
    for ex in raw:
        answers_of.setdefault(ex.question.lower(), set()).add(ex.answers[0].lower())
    out: list[QAExample] = []
    seen: set[str] = set()
    for ex in raw:
        key = ex.question.lower()
        if len(answers_of[key]) > 1 or key in seen:
            continue
        seen.add(key)
        chosen = _pick_distractors(ex, passages, seed, (lo, hi)) if hi > 0 else []
        out.append(QAExample(
            id=ex.id, question=ex.question, answers=ex.answers, context=ex.context,
            doc_id=ex.doc_id, distractors=chosen, template=ex.template,
        ))
    return out


# --------------------------------------------------------------------------------------
# 7. Files
# --------------------------------------------------------------------------------------


def write_jsonl(records: Iterable[object], path: str | Path) -> int:
    """Write one JSON object per line (dataclasses are converted); returns the count.

    Keys are written in field order, non-ASCII text as UTF-8, so the same records give
    byte-identical files.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise InputError(f"cannot write JSONL to a directory: {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for record in records:
            if hasattr(record, "__dataclass_fields__"):
                record = asdict(record)
            if not isinstance(record, dict):
                raise InputError(f"a JSONL record must be a dict or dataclass, got {type(record).__name__}")
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n


def _qa_record(ex: QAExample) -> dict:
    return {
        "id": ex.id, "question": ex.question, "answers": ex.answers, "context": ex.context,
        "doc_id": ex.doc_id, "distractors": ex.distractors, "template": ex.template,
    }


def build_all(
    out_dir: str | Path,
    min_words: int = 60,
    target_words: int = 100,
    max_words: int = 200,
    seed: int = 0,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
) -> BuildSummary:
    """Write every training/evaluation file into ``out_dir`` and return the counts.

    Files: ``ae_train.jsonl``/``ae_heldout.jsonl`` (``{"text"}``), ``qa_train.jsonl``/
    ``qa_heldout.jsonl`` (``{"id","question","answers","context","doc_id","distractors",
    "template"}``), ``qa_eval_docs.jsonl`` (``{"doc_id","text"}``: every held-out document,
    the retrieval corpus) and ``qa_eval.jsonl`` (``{"id","question","answers","doc_id"}``).
    The same inputs give byte-identical files.
    """
    start = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"out_dir exists and is not a directory: {str(out)!r}")
    out.mkdir(parents=True, exist_ok=True)
    lengths = dict(min_words=min_words, target_words=target_words, max_words=max_words)
    files = {name: out / f"{name}.jsonl" for name in (
        "ae_train", "ae_heldout", "qa_train", "qa_heldout", "qa_eval_docs", "qa_eval")}
    counts: dict[str, int] = {}
    template_counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        passages = autoencoder_passages(split, heldout_fraction=heldout_fraction, **lengths)
        counts[f"ae_{split}"] = write_jsonl(({"text": p.text} for p in passages), files[f"ae_{split}"])
        counts[f"ae_{split}_words"] = sum(p.n_words for p in passages)
        qa = qa_examples(split, seed=seed, heldout_fraction=heldout_fraction, **lengths)
        counts[f"qa_{split}"] = write_jsonl((_qa_record(ex) for ex in qa), files[f"qa_{split}"])
        counts[f"qa_{split}_docs"] = len({ex.doc_id for ex in qa})
        tc: dict[str, int] = {}
        for ex in qa:
            tc[ex.template] = tc.get(ex.template, 0) + 1
        template_counts[split] = dict(sorted(tc.items()))
        if split == "heldout":
            docs = _documents_of_split("heldout", heldout_fraction, DEFAULT_SPLIT_SALT)
            counts["qa_eval_docs"] = write_jsonl(
                ({"doc_id": d.doc_id, "text": d.text} for d in docs), files["qa_eval_docs"])
            counts["qa_eval"] = write_jsonl(
                ({"id": ex.id, "question": ex.question, "answers": ex.answers, "doc_id": ex.doc_id}
                 for ex in qa),
                files["qa_eval"],
            )
    for split in SPLITS:
        docs = _documents_of_split(split, heldout_fraction, DEFAULT_SPLIT_SALT)
        counts[f"docs_{split}"] = len(docs)
    return BuildSummary(
        out_dir=out, files=files, counts=counts, template_counts=template_counts,
        seconds=time.perf_counter() - start,
    )
