"""Tests of gmsa_rag.training.corpora: wiki cleaning, loading, splits, passages, QA, files."""

from __future__ import annotations

import bz2
import json
from pathlib import Path

import pytest

from gmsa_rag.errors import InputError
from gmsa_rag.training import corpora as C

# --------------------------------------------------------------------------------------
# clean_wikitext on hand-written markup
# --------------------------------------------------------------------------------------


def test_clean_nested_templates_and_infobox():
    markup = (
        "{{Infobox person\n | name = X\n | birth_date = {{birth date|1809|2|12}}\n"
        " | spouse = {{marriage|[[Mary Todd]]|1842}}\n}}\n"
        "'''Abraham Lincoln''' ({{IPAc-en|ˈ|l|ɪ|ŋ|k|ən}}; February 12, 1809 – April 15, 1865) "
        "was the 16th President.{{citation needed|date=May 2016}}"
    )
    assert C.clean_wikitext(markup) == (
        "Abraham Lincoln (February 12, 1809 – April 15, 1865) was the 16th President."
    )


def test_clean_links_with_pipes_files_categories_and_interwiki():
    markup = (
        "[[File:Foo.jpg|thumb|A [[caption]] with a [[link|label]]]]"
        "The [[Lincoln–Douglas debates|series of debates]] with [[Stephen A. Douglas]] "
        "made [[Illinois]]ans proud.\n[[Category:Presidents]]\n[[de:Abraham Lincoln]]"
    )
    assert C.clean_wikitext(markup) == (
        "The series of debates with Stephen A. Douglas made Illinoisans proud."
    )


def test_clean_refs_comments_html_and_entities():
    markup = (
        "Aardvarks eat ants.<ref name=\"EB\">{{harvnb|Hoiberg|2010|pp=3–4}}</ref> "
        "They dig<ref name=sho/> burrows.<ref>Plain [http://example.org a source]</ref>"
        "<!-- hidden\ncomment --> Weight:&nbsp;60<small>kg</small>, x<sup>2</sup>."
    )
    assert C.clean_wikitext(markup) == "Aardvarks eat ants. They dig burrows. Weight: 60kg, x2."


def test_clean_tables_nested_and_templates_inside():
    markup = (
        "Before the table.\n"
        "{| class=\"wikitable\"\n|-\n! Year !! Film\n|-\n| {{nowrap|1929}} || x\n"
        "|-\n|\n{| \n| inner || table\n|}\n|}\n"
        "After the table."
    )
    assert C.clean_wikitext(markup) == "Before the table.\n\nAfter the table."


def test_clean_headings_lists_external_links_and_formatting():
    markup = (
        "Intro with '''bold''' and ''italic'' and [https://example.org the site] "
        "and a bare https://example.org/x link.\n\n"
        "== History ==\nThe {{convert|12|km|mi}} road opened.\n"
        "* a list item\n# another\n: an indent\n"
        "== References ==\n{{reflist}}\n* Smith, J. (2001). A book.\n"
        "=== Sub of references ===\nStill references.\n"
        "== Legacy ==\nKept prose."
    )
    assert C.clean_wikitext(markup).split("\n\n") == [
        "Intro with bold and italic and the site and a bare link.",
        "The 12 km road opened.",
        "Kept prose.",
    ]


def test_clean_rejects_empty_and_non_text():
    with pytest.raises(InputError, match="empty"):
        C.clean_wikitext("")
    with pytest.raises(InputError, match="empty"):
        C.clean_wikitext("  \n\t ")
    with pytest.raises(InputError, match="str"):
        C.clean_wikitext(None)  # type: ignore[arg-type]


def test_clean_markup_without_prose_is_empty_string():
    assert C.clean_wikitext("{{Infobox|a=b}}\n[[Category:X]]") == ""


# --------------------------------------------------------------------------------------
# Loading documents from small files and bad paths
# --------------------------------------------------------------------------------------

_XML = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/">
  <page><title>Good</title><ns>0</ns><id>1</id>
    <revision><text>'''Good''' is an [[article]] with enough words in it.</text></revision></page>
  <page><title>Moved</title><ns>0</ns><id>2</id><redirect title="Good" />
    <revision><text>#REDIRECT [[Good]]</text></revision></page>
  <page><title>Talk:Good</title><ns>1</ns><id>3</id>
    <revision><text>A talk page with many words that must not be kept.</text></revision></page>
  <page><title>Empty</title><ns>0</ns><id>4</id>
    <revision><text>{{Infobox}}</text></revision></page>
</mediawiki>"""


def test_load_articles_skips_redirects_namespaces_and_empty_pages(tmp_path: Path):
    path = tmp_path / "mini.xml.bz2"
    path.write_bytes(bz2.compress(_XML.encode("utf-8")))
    articles = C.load_articles([path])
    assert [(a.doc_id, a.title, a.text) for a in articles] == [
        ("enwiki:1", "Good", "Good is an article with enough words in it.")
    ]
    assert "CC BY-SA" in articles[0].license


def test_load_news_decodes_latin1_and_drops_duplicates(tmp_path: Path):
    path = tmp_path / "news.cor"
    line = "The café in Sydney reopened today after the fires, its owner said."
    path.write_bytes((line + "\n" + line + "\nshort\n").encode("latin-1"))
    news = C.load_news([path])
    assert [a.text for a in news] == [line]
    assert news[0].doc_id == "news:news:0"


def test_missing_data_files_raise_input_error(tmp_path: Path):
    missing = tmp_path / "nope.xml.bz2"
    with pytest.raises(InputError, match="nope.xml.bz2"):
        C.load_articles([missing])
    with pytest.raises(InputError, match="nope.cor"):
        C.load_news([tmp_path / "nope.cor"])


def test_corrupt_dump_raises_input_error(tmp_path: Path):
    path = tmp_path / "bad.xml.bz2"
    path.write_bytes(b"this is not bzip2")
    with pytest.raises(InputError, match="bad.xml.bz2"):
        C.load_articles([path])


# --------------------------------------------------------------------------------------
# Sentences, passages, split rule
# --------------------------------------------------------------------------------------


def test_split_sentences_keeps_abbreviations_and_exact_substrings():
    text = (
        "Mr. Smith met J. R. R. Tolkien in the U.S. in 1950. It rained! "
        "Did it? Gen. Lee v. Grant was 3.5 km long.\nNew paragraph here."
    )
    sentences = C.split_sentences(text)
    assert sentences == [
        "Mr. Smith met J. R. R. Tolkien in the U.S. in 1950.",
        "It rained!",
        "Did it?",
        "Gen. Lee v. Grant was 3.5 km long.",
        "New paragraph here.",
    ]
    assert all(s in text for s in sentences)


def _article(text: str, doc_id: str = "t:1", title: str = "Test") -> C.Article:
    return C.Article(doc_id=doc_id, title=title, text=text, source="wikipedia:test", license="test")


def test_make_passages_respects_bounds_and_sentence_boundaries():
    sentence = "The quick brown fox jumps over the lazy dog near the river bank today."  # 14 words
    text = "\n\n".join(" ".join([sentence] * k) for k in (3, 9, 1, 20))
    passages = C.make_passages(_article(text), min_words=30, target_words=60, max_words=80)
    assert passages
    for p in passages:
        assert 30 <= p.n_words <= 80
        assert p.text.endswith(".") and p.text.startswith("The")
    assert len({p.passage_id for p in passages}) == len(passages)


@pytest.mark.parametrize("lengths", [(0, 10, 20), (50, 40, 60), (10, 20, 15)])
def test_make_passages_rejects_bad_lengths(lengths):
    with pytest.raises(InputError):
        C.make_passages(_article("A sentence here."), *lengths)


def test_split_of_is_stable_and_validates():
    keys = [f"doc-{i}" for i in range(2000)]
    first = [C.split_of(k, 0.2) for k in keys]
    assert first == [C.split_of(k, 0.2) for k in keys]
    share = first.count("heldout") / len(keys)
    assert 0.16 < share < 0.24
    assert C.split_of("anything", 0.0) == "train"
    with pytest.raises(InputError):
        C.split_of("x", 1.0)
    with pytest.raises(InputError):
        C.autoencoder_passages("validation")


# --------------------------------------------------------------------------------------
# QA templates on a hand-written biography
# --------------------------------------------------------------------------------------

_BIO = (
    "Abraham Lincoln (February 12, 1809 – April 15, 1865) was the 16th President of the "
    "United States. He led the nation through its Civil War. He preserved the Union, and he "
    "abolished slavery, and his speeches are still read. Born in Hodgenville, Kentucky, "
    "Lincoln grew up on the western frontier. In 1846, Lincoln was elected to the United "
    "States House of Representatives. The Gettysburg Address was written by Abraham Lincoln "
    "during the war. About 75 per cent of voters in Illinois turned out in the election."
)


def test_qa_templates_on_a_biography():
    article = _article(_BIO, doc_id="enwiki:307", title="Abraham Lincoln")
    passage = C.make_passages(article, min_words=20, target_words=200, max_words=200)[0]
    got = {ex.question: ex.answers[0] for ex in C.qa_from_passage(passage, article, max_per_passage=10)}
    assert got["When was Abraham Lincoln born?"] == "February 12, 1809"
    assert got["Where was Lincoln born?"] == "Hodgenville, Kentucky"
    assert got["Who wrote the Gettysburg Address?"] == "Abraham Lincoln"
    assert got["Lincoln was elected to the United States House of Representatives in what year?"] == "1846"
    assert got["What percentage of voters in Illinois turned out in the election?"] == "75 per cent"
    for question, answer in got.items():
        assert answer in passage.text and answer.lower() not in question.lower()


def test_qa_from_passage_rejects_foreign_passage():
    a, b = _article(_BIO, doc_id="a"), _article(_BIO, doc_id="b")
    passage = C.make_passages(a, min_words=20)[0]
    with pytest.raises(InputError):
        C.qa_from_passage(passage, b)


# --------------------------------------------------------------------------------------
# The real corpora (gensim's test data): splits, passages, QA, files
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus():
    return {
        "ae": {s: C.autoencoder_passages(s) for s in C.SPLITS},
        "qa": {s: C.qa_examples(s) for s in C.SPLITS},
    }


def test_documents_load_from_both_sources():
    docs = C.load_documents()
    sources = {d.source.split(":")[0] for d in docs}
    assert sources == {"wikipedia", "abc-news"}
    assert len({d.doc_id for d in docs}) == len(docs)
    assert sum(d.source.startswith("wikipedia") for d in docs) >= 90
    for d in docs:
        assert "{{" not in d.text and "[[" not in d.text and "<ref" not in d.text


def test_passages_are_disjoint_by_document_and_within_bounds(corpus):
    train, heldout = corpus["ae"]["train"], corpus["ae"]["heldout"]
    assert len(train) > 3000 and len(heldout) > 500
    assert not {p.doc_id for p in train} & {p.doc_id for p in heldout}
    for p in train + heldout:
        assert p.text.strip() and 60 <= p.n_words <= 200
    assert not {p.text for p in train} & {p.text for p in heldout}


def test_outputs_are_deterministic(corpus):
    assert C.autoencoder_passages("heldout") == corpus["ae"]["heldout"]
    assert C.qa_examples("heldout") == corpus["qa"]["heldout"]


def test_qa_answers_are_spans_and_heldout_is_unseen(corpus):
    train, heldout = corpus["qa"]["train"], corpus["qa"]["heldout"]
    # measured: 1663 train / 196 held-out; the bounds leave room for template tweaks
    assert len(train) >= 1400 and len(heldout) >= 180
    for ex in train + heldout:
        assert ex.answers and all(a and a in ex.context for a in ex.answers), ex
        assert ex.question.endswith("?")
        assert 1 <= len(ex.distractors) <= 3
        assert all(ex.answers[0] not in d and d != ex.context for d in ex.distractors)
    heldout_docs = {ex.doc_id for ex in heldout}
    assert not heldout_docs & {ex.doc_id for ex in train}
    assert not heldout_docs & {p.doc_id for p in corpus["ae"]["train"]}
    train_texts = {p.text for p in corpus["ae"]["train"]}
    assert not any(ex.context in train_texts or set(ex.distractors) & train_texts for ex in heldout)
    stated_in_train = C._FactIndex(p.text for p in corpus["ae"]["train"])
    assert not any(stated_in_train.states(ex) for ex in heldout)
    ids = [ex.id for ex in train + heldout]
    assert len(set(ids)) == len(ids)
    assert len({ex.question for ex in heldout}) == len(heldout)


def test_related_wikipedia_pages_share_a_split():
    by_title = {d.title: d for d in C.load_documents()}
    angola = {C.split_of(by_title[t]) for t in (
        "Angola", "Economy of Angola", "Transport in Angola", "Angolan Armed Forces")}
    apollo = {C.split_of(by_title[t]) for t in ("Apollo", "Apollo 8", "Apollo 11")}
    assert len(angola) == 1 and len(apollo) == 1


def test_build_all_writes_the_documented_files(tmp_path: Path):
    summary = C.build_all(tmp_path / "data")
    again = C.build_all(tmp_path / "again")
    assert summary.counts == again.counts
    for name, path in summary.files.items():
        assert path.read_bytes() == again.files[name].read_bytes(), name
    files = {p.name for p in (tmp_path / "data").iterdir()}
    assert files == {"ae_train.jsonl", "ae_heldout.jsonl", "qa_train.jsonl", "qa_heldout.jsonl",
                     "qa_eval_docs.jsonl", "qa_eval.jsonl"}

    def read(name: str) -> list[dict]:
        return [json.loads(line) for line in (tmp_path / "data" / name).read_text("utf-8").splitlines()]

    ae = read("ae_train.jsonl")
    assert len(ae) == summary.counts["ae_train"] and set(ae[0]) == {"text"}
    qa = read("qa_heldout.jsonl")
    assert set(qa[0]) >= {"id", "question", "answers", "context", "doc_id", "distractors"}
    docs = {d["doc_id"]: d["text"] for d in read("qa_eval_docs.jsonl")}
    evals = read("qa_eval.jsonl")
    assert len(evals) == summary.counts["qa_heldout"] == len(qa)
    for ex in evals:
        assert set(ex) == {"id", "question", "answers", "doc_id"}
        assert all(a in docs[ex["doc_id"]] for a in ex["answers"])
    assert set(docs).isdisjoint({json.loads(x)["doc_id"] for x in
                                 (tmp_path / "data" / "qa_train.jsonl").read_text("utf-8").splitlines()})


def test_write_jsonl_rejects_bad_records_and_directories(tmp_path: Path):
    assert C.write_jsonl([{"a": 1}, C.Passage("p", "d", "t", "s")], tmp_path / "x.jsonl") == 2
    with pytest.raises(InputError):
        C.write_jsonl([1], tmp_path / "y.jsonl")
    with pytest.raises(InputError):
        C.write_jsonl([{"a": 1}], tmp_path)
