"""KEFT questions from documentation prose: each template on written sentences (what it asks,
what it refuses), the passage pipeline, distractors, determinism and drop_seen."""

from __future__ import annotations

import random

import pytest

from gmsa_rag.errors import InputError
from gmsa_rag.training.corpora import doc_qa
from gmsa_rag.training.corpora.doc_qa import (
    _doc_question_ok,
    _doc_sentences,
    _doc_title,
    doc_qa_examples,
    drop_seen,
)
from gmsa_rag.training.corpora.qa import _tidy_answer
from gmsa_rag.training.corpora.qa_doc_phrasing import _DocView, _is_code, _names_thing
from gmsa_rag.training.corpora.qa_doc_templates import (
    _DOC_TEMPLATES,
    _t_acronym,
    _t_alias,
    _t_condition,
    _t_doc_definition,
    _t_doc_year_cloze,
    _t_does,
    _t_use_to,
)
from gmsa_rag.training.corpora.qa_doc_values import (
    _t_controlled_by,
    _t_default,
    _t_limit,
    _t_returns_on,
    _t_version,
    _t_where,
    _t_which_file,
)


def _ask(template, sentence: str, previous: tuple[str, ...] = (), proper: frozenset[str] = frozenset()
         ) -> list[tuple[str, str]]:
    """The template's usable (question, answer) pairs, checked as the pipeline checks them."""
    view = _DocView(text=sentence, title="doc", person=None, proper=proper, is_lead=False, previous=previous)
    out = []
    for question, answer, _ in template(view):
        answer = _tidy_answer(answer)
        if answer and answer in sentence and _doc_question_ok(question, answer):
            out.append((question, answer))
    return out


# ------------------------------------------------------------------ each template, asked

POSITIVE = [
    (_t_does, "The -r option copies directories recursively.", (),
     "What does the -r option do?", "copies directories recursively"),
    (_t_does, "The offset argument specifies the starting point from which data is to be read.", (),
     "What does the offset argument specify?", "the starting point from which data is to be read"),
    (_t_does, "strlen() returns the number of bytes in the string.", (),
     "What does strlen() return?", "the number of bytes in the string"),
    (_t_does, "The plen argument indicates the len of params and should be set to 0 if params is NULL.", (),
     "What does the plen argument indicate?", "the len of params"),
    (_t_does, "The getent command displays entries from databases.", (),
     "What does the getent command do?", "displays entries from databases"),
    (_t_does, "The -a option is used to include all files that git tracks.", (),
     "What is the -a option used for?", "to include all files that git tracks"),
    (_t_default, "The default value of wal_level is replica.", (),
     "What is the default value of wal_level?", "replica"),
    (_t_default, "IP_RECVERR defaults to off.", (), "What does IP_RECVERR default to?", "off"),
    (_t_default, "The default is 64.", ("This file contains the number of bits of entropy needed to wake readers.",),
     "What is the default number of bits of entropy needed to wake readers?", "64"),
    (_t_default, "Number of seconds to cache credentials (default: 900).", (),
     "What is the default number of seconds to cache credentials?", "900"),
    (_t_default, "Change the size of code list window (default is 10 lines).", (),
     "What is the default size of code list window?", "10 lines"),
    (_t_default, "Change the number of seconds to wait between iterations (the default is 1.0).", (),
     "What is the default number of seconds to wait between iterations?", "1.0"),
    (_t_default, 'The default notes merge strategy is "manual".', (),
     "What is the default notes merge strategy?", '"manual"'),
    (_t_version, "Since glibc 2.3.4, LD_DEBUG is ignored in secure-execution mode.", (),
     "LD_DEBUG is ignored in secure-execution mode since which glibc version?", "2.3.4"),
    (_t_version, "The SECCOMP_IOCTL_NOTIF_RECV operation (available since Linux 5.0) is used to get events.", (),
     "Since which Linux version is the SECCOMP_IOCTL_NOTIF_RECV operation available?", "5.0"),
    (_t_version, "The --libpods option is no longer recognized as of Perl 5.26.", (),
     "The --libpods option is no longer recognized as of which Perl version?", "5.26"),
    (_t_returns_on, "On error, -1 is returned, and errno is set to indicate the error.",
     ("umask() returns the previous value of the mask.",), "What does umask() return on error?", "-1"),
    (_t_returns_on, "getpid() returns 0 on success.", (), "What does getpid() return on success?", "0"),
    (_t_limit, "The maximum size of the resulting core filename is 128 bytes.", (),
     "What is the maximum size of the resulting core filename?", "128 bytes"),
    (_t_limit, "The length of exported symbol names is limited to 59 characters.", (),
     "What is the length of exported symbol names limited to?", "59 characters"),
    (_t_controlled_by,
     "The maximum number of surplus huge pages is controlled by /proc/sys/vm/nr_overcommit_hugepages.", (),
     "What controls the maximum number of surplus huge pages?", "/proc/sys/vm/nr_overcommit_hugepages"),
    (_t_where, "The group database is stored in /etc/group.", (), "Where is the group database stored?", "/etc/group"),
    (_t_which_file, "The file /etc/nsswitch.conf defines which databases are searched.", (),
     "Which file defines which databases are searched?", "/etc/nsswitch.conf"),
    (_t_acronym, "The genetic query optimizer (GEQO) is an algorithm that does query planning.", (),
     "What does GEQO stand for?", "genetic query optimizer"),
    (_t_acronym, "Every change goes to the write-ahead log (WAL) first.", (),
     "What does WAL stand for?", "write-ahead log"),
    (_t_alias, "SET SCHEMA 'value' is an alias for SET search_path TO value.", (),
     "What is SET SCHEMA 'value' an alias for?", "SET search_path TO value"),
    (_t_alias, "The -h or --human-readable option is equivalent to --block-size=human-readable.", (),
     "What is the -h or --human-readable option equivalent to?", "--block-size=human-readable"),
    (_t_doc_definition, "A tablespace is a location on disk where the database stores its files.", (),
     "What is a tablespace?", "location on disk where the database stores its files"),
    (_t_doc_definition, "The HV type is a subclass of SV.", (), "What is the HV type?", "subclass of SV"),
    (_t_condition, "If CLONE_THREAD is set, the child is placed in the same thread group.", (),
     "What happens if CLONE_THREAD is set?", "the child is placed in the same thread group"),
    (_t_condition, "When the --aggressive option is supplied, git-repack(1) is invoked with the -f flag.", (),
     "What happens when the --aggressive option is supplied?", "git-repack(1) is invoked with the -f flag"),
    (_t_use_to, "To insert a line after one already in the file, use the -n switch.", (),
     "What can be used to insert a line after one already in the file?", "the -n switch"),
    (_t_use_to, "Use av_count to get the number of elements in an array.", (),
     "What can be used to get the number of elements in an array?", "av_count"),
]


@pytest.mark.parametrize("template, sentence, previous, question, answer", POSITIVE,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(POSITIVE)])
def test_template_asks(template, sentence, previous, question, answer):
    assert _ask(template, sentence, previous) == [(question, answer)]
    assert answer in sentence and answer.lower() not in question.lower()
    assert 1 <= len(answer.split()) <= 10


NEGATIVE = [
    (_t_does, "This option copies directories recursively.", ()),              # vague subject
    (_t_does, "It returns a pointer suitable for chaining.", ()),
    (_t_does, "The output format shows one line per file.", ()),               # no name
    (_t_does, "The following command prints the status.", ()),
    (_t_does, "VALUES lists with very many rows should be avoided.", ()),      # "lists" is a noun
    (_t_does, "The -regex and -iregex tests of find allow matching.", ()),     # "tests" is a noun
    (_t_does, "The BINARY option specifies that.", ()),                        # incomplete answer
    (_t_does, "The --branch option allows this.", ()),                         # the answer points elsewhere
    (_t_does, "The TAP tests require the Perl module IPC::Run.", ()),          # "tests" is a noun
    (_t_does, "POSIX.1 defines seconds since the Epoch using a formula.", ()),  # cut answer "seconds"
    (_t_does, "A MOVE statement sets FOUND true if it repositions the cursor, false otherwise.", ()),  # conditional
    (_t_does, "The proxydma_info file contains similar information.", ()),   # points elsewhere
    (_t_condition, "If diff.guitool is not set, we fall back to merge.guitool, diff.tool, merge.tool in turn.", ()),
    (_t_default, "The default is 64.", ("This is useful for testing.",)),      # nothing described
    (_t_default, "The default is to ignore them.", ("Sets the handling of errors in the input stream.",)),
    (_t_version, "Since Linux 2.6.17, this field is no longer maintained.", ()),
    (_t_version, "The msgp argument is declared as struct msgbuf * in glibc 2.0 and 2.1.", ()),
    (_t_returns_on, "On error, -1 is returned, and errno is set to indicate the error.",
     ("These system calls return zero.",)),                                     # no function named
    (_t_limit, "The maximum size is 128 bytes.", ()),
    (_t_limit, "This value is limited to 59 characters.", ()),
    (_t_where, "It is stored in /etc/group.", ()),
    (_t_acronym, "The server (HTTP) answers requests.", ()),                   # the words do not spell it
    (_t_alias, "This form is an alias for the other one.", ()),
    (_t_doc_definition, "The result is a pointer to the buffer.", ()),
    (_t_doc_definition, "VALUES appearing within INSERT is a special case.", ()),
    (_t_doc_definition, "The IVdf will expand to whatever is the correct format for the IVs.", ()),
    (_t_doc_definition, "A piece is an atom possibly followed by a single '*', '+', '?', or bound.", ()),
    (_t_doc_definition, "A backslash sequence is a sequence of characters, the first one of which is a backslash.", ()),
    (_t_condition, "If it is set, the child is placed in the same thread group.", ()),
    (_t_condition, "When used together with --left-right, print the counts.", ()),
    (_t_condition, "If the file exists, it is overwritten.", ()),              # nothing named
    (_t_use_to, "To do that, use the -n switch.", ()),
    (_t_use_to, 'Use "-f" to replace the old one.', ()),
]


@pytest.mark.parametrize("template, sentence, previous", NEGATIVE,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(NEGATIVE)])
def test_template_refuses(template, sentence, previous):
    assert _ask(template, sentence, previous) == []


def test_definitions_need_more_than_a_letter_or_a_bare_name():
    names = frozenset({"M", "Z", "Git"})
    assert _ask(_t_doc_definition, "M is a descendant of Z, so you can push.", proper=names) == []
    assert _ask(_t_doc_definition, "Git is a fast distributed revision control system.", proper=names) == [
        ("What is Git?", "fast distributed revision control system")]


def test_every_template_keeps_the_answer_out_of_the_question():
    for template, sentence, previous, _, _ in POSITIVE:
        view = _DocView(text=sentence, title="doc", person=None, proper=frozenset(), is_lead=False,
                        previous=previous)
        for other in _DOC_TEMPLATES:
            for question, answer, name in other(view):
                answer = _tidy_answer(answer)
                assert answer in sentence, (name, sentence)
                if _doc_question_ok(question, answer):
                    assert answer.lower() not in question.lower()


def test_year_cloze_needs_a_named_subject():
    cloze = _t_doc_year_cloze
    assert _ask(cloze, "In 1994, Andrew Yu and Jolly Chen added an SQL interpreter to POSTGRES.") == [
        ("Andrew Yu and Jolly Chen added an SQL interpreter to POSTGRES in what year?", "1994")]
    assert _ask(cloze, "In 1994, the project was renamed.") == []


def test_code_and_subject_tests():
    for token in ["-r", "--no-verify", "open(2)", "umask()", "$PATH", "@ARGV", "/etc/passwd", "File::Spec",
                  "max_connections", "core.abbrev", "pg_hba.conf", "SIGHUP", "getAttribute"]:
        assert _is_code(token), token
    for token in ["the", "option", "e.g.", "-1", "Linux", "I"]:
        assert not _is_code(token), token
    view = _DocView(text="", title="", person=None, proper=frozenset({"Switch"}), is_lead=False)
    assert _names_thing("the getent command", view)
    assert _names_thing("The Name Service Switch libraries", view)
    assert not _names_thing("this option", view)
    assert not _names_thing("the same value", view)
    assert not _names_thing("the output format", view)


def test_sentences_split_before_code():
    text = "The mask is set. umask() returns the old mask. --progress forces progress output."
    assert _doc_sentences(text) == ["The mask is set.", "umask() returns the old mask.",
                                    "--progress forces progress output."]
    assert _doc_title("manpages:usr/share/man/man2/umask.2.gz") == "umask.2"
    assert _doc_title("git-doc:usr/share/doc/git-doc/git-rebase.html") == "git-rebase"


# ------------------------------------------------------------------ the split-level pipeline

WORDS = [f"w{i:03d}x" for i in range(60)]


def _passages(source: str, n_docs: int, offset: int = 0) -> list[dict]:
    """Documents of one source, each with one questionable sentence whose answer is its own."""
    out = []
    for i in range(n_docs):
        w = WORDS[offset + i]
        out.append({
            "text": f"The --{w} option prints the {w} summary table. Plain filler prose follows here.",
            "source": source,
            "doc_id": f"{source}:doc{i}",
        })
    return out


def test_distractors_come_from_the_same_source_and_lack_the_answer():
    passages = _passages("manpages", 25) + _passages("perl-doc", 25, offset=25)
    source_of_text = {p["text"]: p["source"] for p in passages}
    doc_of_text = {p["text"]: p["doc_id"] for p in passages}
    examples = doc_qa_examples(passages, seed=3, distractors=(2, 3))
    assert len(examples) == 50
    for ex in examples:
        assert ex.answers[0] in ex.context and ex.question.startswith("What does the --")
        assert 2 <= len(ex.distractors) <= 3
        source = source_of_text[ex.context]
        for d in ex.distractors:
            assert source_of_text[d] == source
            assert doc_of_text[d] != ex.doc_id
            assert all(a not in d for a in ex.answers)


def test_a_small_source_borrows_distractors_from_every_source():
    passages = _passages("manpages", 25) + _passages("tiny-doc", 3, offset=25)
    source_of_text = {p["text"]: p["source"] for p in passages}
    examples = [ex for ex in doc_qa_examples(passages, distractors=(3, 3)) if ex.doc_id.startswith("tiny-doc")]
    assert len(examples) == 3
    for ex in examples:
        assert len(ex.distractors) == 3
        assert all(a not in d for d in ex.distractors for a in ex.answers)
    assert any(source_of_text[d] == "manpages" for ex in examples for d in ex.distractors)


def test_deterministic_and_no_global_rng():
    passages = _passages("manpages", 30)
    before = random.getstate()
    a = doc_qa_examples(passages, seed=7)
    assert random.getstate() == before
    b = doc_qa_examples(list(reversed(list(reversed(passages)))), seed=7)
    assert a == b
    c = doc_qa_examples(passages, seed=8)
    assert [ex.question for ex in a] == [ex.question for ex in c]
    assert [ex.distractors for ex in a] != [ex.distractors for ex in c]
    assert len({ex.id for ex in a}) == len(a)


def test_one_question_per_sentence_and_at_most_max_per_passage():
    text = ("The -a option prints all entries. The -b option prints brief entries. "
            "The -c option prints counted entries.")
    passages = [{"text": text, "source": "s", "doc_id": "s:1"}]
    assert len(doc_qa_examples(passages, max_per_passage=2, distractors=(0, 0))) == 2
    three = doc_qa_examples(passages, max_per_passage=5, distractors=(0, 0))
    assert [ex.answers[0] for ex in three] == ["prints all entries", "prints brief entries", "prints counted entries"]
    assert all(ex.distractors == [] for ex in three)


def test_ambiguous_questions_are_dropped():
    passages = [
        {"text": "The -q option prints the w001x report.", "source": "s", "doc_id": "s:1"},
        {"text": "The -q option prints the w002x report.", "source": "s", "doc_id": "s:2"},
        {"text": "The -z option prints the w003x report.", "source": "s", "doc_id": "s:3"},
    ]
    examples = doc_qa_examples(passages, distractors=(0, 0))
    assert [ex.question for ex in examples] == ["What does the -z option do?"]


def test_bad_input():
    with pytest.raises(InputError):
        doc_qa_examples([{"text": "The -r option copies files.", "source": "s"}])
    with pytest.raises(InputError):
        doc_qa_examples([], max_per_passage=0)
    with pytest.raises(InputError):
        doc_qa_examples([], distractors=(3, 1))
    assert doc_qa_examples([]) == []


def test_drop_seen():
    heldout_passages = [
        {"text": "The --w010x option prints the w010x summary table.", "source": "s", "doc_id": "h:1"},
        {"text": "The --w011x option prints the w011x summary table.", "source": "s", "doc_id": "h:2"},
    ]
    heldout = doc_qa_examples(heldout_passages, distractors=(0, 0))
    assert len(heldout) == 2
    train = [
        {"text": "As documented, the --w010x option prints the w010x summary table too.", "source": "s",
         "doc_id": "t:1"},
        {"text": "The w011x option is unrelated to summaries.", "source": "s", "doc_id": "t:2"},
    ]
    kept = drop_seen(heldout, train)
    assert [ex.doc_id for ex in kept] == ["h:2"]
    assert drop_seen(heldout, []) == heldout


def test_min_source_docs_is_documented():
    assert doc_qa.MIN_SOURCE_DOCS >= 1
