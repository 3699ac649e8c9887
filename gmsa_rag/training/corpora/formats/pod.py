"""Perl POD (``.pod`` files, or POD inside ``.pm`` / ``.pl`` code) -> prose: :func:`pod_to_doc`.

Kept: ordinary paragraphs, including the bodies of ``=item`` entries and the text of
bullet items (``=item * Some text``), with formatting codes resolved: ``B<>``, ``I<>``,
``C<>``, ``F<>``, ``S<>`` keep their text, ``L<text|target>`` keeps ``text`` (a bare
link keeps the page or section it names), ``E<lt>`` / ``E<eacute>`` / ``E<0xE9>`` become
the character, ``X<>`` and ``Z<>`` vanish; codes nest and may use the ``C<< ... >>``
form. The NAME section's line ("perlsyn - Perl syntax") is kept, and its name part
titles the document.

Dropped: code outside POD (before a command, after ``=cut``), verbatim paragraphs
(indented: code), headings, ``=item`` labels and bare bullets, ``=begin``/``=end``
blocks and ``=for`` paragraphs, and the sections SYNOPSIS, SEE ALSO and COPYRIGHT /
LICENSE (code, link lists, boilerplate).
"""

from __future__ import annotations

import html.entities
import re

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora.formats import ConvertedDoc

_SKIPPED_SECTIONS = re.compile(r"SYNOPSIS|SEE ALSO|(?:COPYRIGHT|LICEN[CS]E)\b.*|AUTHORS? AND COPYRIGHT.*")
_COMMAND = re.compile(r"=([a-zA-Z]\w*)[ \t]*(.*)", re.S)
_POD_START = re.compile(r"^=[a-zA-Z]", re.M)
_BULLET = re.compile(r"(?:\*|•|o|-|\d+[.)]?|\(?[a-z0-9]\))(?:\s+(.*)|\s*$)", re.S)
_TOKEN = re.compile(r"([A-Z])(<+)(\s+)?|(\s*)(>+)")
_LINK_SECTION = re.compile(r'^(.*?)/"?(.*?)"?$', re.S)


def _blocks(text: str) -> list[str]:
    """The POD paragraphs of a file, in order: code outside POD and ``=cut`` left out."""
    blocks: list[str] = []
    in_pod = False
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        if not in_pod:
            start = _POD_START.search(block)
            if start is None:
                continue
            block, in_pod = block[start.start():], True
        if block.startswith("=cut"):
            in_pod = False
        elif block.strip("\n"):
            blocks.append(block.strip("\n"))
    return blocks


def _entity(name: str) -> str:
    """``E<name>``: a named (``lt``, ``eacute``), decimal, ``0x`` hex or ``0`` octal character."""
    name = name.strip()
    if name in ("verbar", "sol"):
        return "|" if name == "verbar" else "/"
    if name in html.entities.name2codepoint:
        return chr(html.entities.name2codepoint[name])
    number = re.fullmatch(r"(0x[0-9a-fA-F]+|0[0-7]*|[1-9]\d*)", name)
    if number is None:
        return ""
    value = int(number.group(1), 16 if name.startswith("0x") else 8 if name.startswith("0") else 10)
    return chr(value) if 0 < value < 0x110000 else ""


def _link(content: str) -> str:
    """``L<text|target>`` -> text; ``L<page/"section">`` -> ``section in page``; else target."""
    text, bar, target = content.partition("|")
    if bar:
        return text
    if re.match(r"\w+:[^:\s]\S*$", content):  # a URL
        return content
    section = _LINK_SECTION.match(content)
    if section is None:
        return content
    page, heading = section.group(1).strip(), section.group(2).strip()
    return f"{heading} in {page}" if page and heading else heading or page


def _render_code(letter: str, content: str) -> str:
    """The text one formatting code stands for."""
    if letter in "XZ":
        return ""
    if letter == "E":
        return _entity(content)
    if letter == "L":
        return _link(content)
    return content


def _render(text: str) -> str:
    """A paragraph with its formatting codes resolved; unclosed codes keep their content.

    ``stack`` holds the open codes as (letter, number of ``<``, text so far); it replaces
    recursion, so deep or broken nesting cannot raise. A one-``<`` code closes at the
    next ``>``; a ``C<< `` code closes only at whitespace followed by ``>>``.
    """
    if "<" not in text:
        return text
    stack: list[tuple[str, int, list[str]]] = [("", 0, [])]
    position = 0
    for token in _TOKEN.finditer(text):
        stack[-1][2].append(text[position:token.start()])
        position = token.end()
        letter, opening, space, before, closing = token.groups()
        if letter:
            multi = len(opening) >= 2 and space is not None
            frame = (letter, len(opening), []) if multi else (letter, 1, [opening[1:], space or ""])
            stack.append(frame)
        else:
            _close(stack, before, len(closing))
    stack[-1][2].append(text[position:])
    while len(stack) > 1:
        _pop(stack)
    return "".join(stack[0][2])


def _close(stack: list[tuple[str, int, list[str]]], before: str, count: int) -> None:
    """Close the codes that ``before`` (whitespace) and ``count`` ``>`` characters end;
    what closes nothing stays literal text."""
    while count:
        width = stack[-1][1]
        if len(stack) > 1 and width == 1:
            stack[-1][2].append(before)
            count -= 1
        elif len(stack) > 1 and before and count >= width:
            count -= width
        else:
            break
        before = ""
        _pop(stack)
    stack[-1][2].append(before + ">" * count)


def _pop(stack: list[tuple[str, int, list[str]]]) -> None:
    """Render the innermost open code into the one around it."""
    letter, width, parts = stack.pop()
    content = "".join(parts)
    stack[-1][2].append(_render_code(letter, content.strip() if width > 1 else content))


def _one_line(text: str) -> str:
    """Whitespace collapsed (non-breaking spaces from ``S<>`` included)."""
    return " ".join(text.split())


def pod_to_doc(text: str, name: str = "") -> ConvertedDoc:
    """The prose of one POD document (a ``.pod`` file, or a module with POD inside).

    ``name`` titles the document when it has no NAME section. Odd input gives a document
    with no paragraphs; raises InputError only if ``text`` or ``name`` is not a str.
    """
    if not isinstance(text, str) or not isinstance(name, str):
        raise InputError(f"POD text and name must be str, got {type(text).__name__}")
    title, section, paragraphs, begin_depth = "", "", [], 0
    for block in _blocks(text):
        command = _COMMAND.match(block) if block.startswith("=") else None
        if command:
            verb, rest = command.group(1), command.group(2)
            begin_depth += 1 if verb == "begin" else -1 if verb == "end" and begin_depth else 0
            if verb == "head1":
                section = _one_line(_render(rest)).upper()
            bullet = _BULLET.fullmatch(rest.strip()) if verb == "item" else None
            skipped = begin_depth or _SKIPPED_SECTIONS.fullmatch(section)
            if bullet and bullet.group(1) and not skipped:
                paragraphs.append(_one_line(_render(bullet.group(1))))
            continue
        if begin_depth or block[:1] in (" ", "\t") or _SKIPPED_SECTIONS.fullmatch(section):
            continue
        paragraph = _one_line(_render(block))
        if paragraph:
            if section == "NAME" and not title:
                title = _one_line(re.split(r"\s+-+\s+|\s+—\s+", paragraph, maxsplit=1)[0])
            paragraphs.append(paragraph)
    return ConvertedDoc(title or name, tuple(p for p in paragraphs if p))
