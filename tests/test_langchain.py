"""LangChain components: the standard retriever suite (pinned langchain-tests) and LCEL chains, offline."""

import asyncio

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("langchain_tests")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.messages import AIMessage, AIMessageChunk  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.runnables import RunnablePassthrough  # noqa: E402
from langchain_tests.integration_tests import RetrieversIntegrationTests  # noqa: E402
from langchain_tests.unit_tests import ChatModelUnitTests  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.messages import HumanMessage, SystemMessage  # noqa: E402

from gmsa_rag.documents import content_hash  # noqa: E402
from gmsa_rag.integrations.langchain import EXTERNAL_DOC_ID, ChatGMSA, GMSAChatModel, GMSAReader, GMSARetriever  # noqa: E402
from gmsa_rag.model import SamplingParams  # noqa: E402

PIECES = SamplingParams(max_new_tokens=4, ignore_eos=True)  # the tiny random model: a fixed length


# The suite's one async test carries no asyncio mark (langchain's own repos run pytest-asyncio in
# auto mode); mark the function itself, so the suite's no-override check still sees the original.
pytest.mark.asyncio(RetrieversIntegrationTests.test_ainvoke_returns_documents)


class TestGMSARetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _bind(self, collection):
        self._collection = collection

    @property
    def retriever_constructor(self):
        return GMSARetriever

    @property
    def retriever_constructor_params(self):
        return {"collection": self._collection, "k": 2}

    @property
    def retriever_query_example(self):
        return "What is the capital of France?"


def test_retriever_metadata_and_warm_store(collection):
    retriever = GMSARetriever(collection=collection, k=2, rate=8)
    docs = retriever.invoke("Which river is in Paris?")
    assert len(docs) == 2
    fingerprint = collection.model.fingerprint()
    for doc in docs:
        meta = doc.metadata
        assert {"doc_id", "chunk", "score", "content_hash", "gmsa_fingerprint", "rate", "soft_tokens", "cache"} <= set(meta)
        assert meta["content_hash"] == content_hash(doc.page_content)
        assert meta["gmsa_fingerprint"] == fingerprint and meta["rate"] == 8 and meta["soft_tokens"] >= 1
        assert meta["cache"] == "hit"  # ingest precompressed every chunk
        assert collection.store.has(fingerprint, meta["content_hash"], 8)
    assert docs[0].metadata["doc_id"] == "paris.txt"
    assert docs[0].metadata["score"] >= docs[1].metadata["score"]
    assert len(retriever.invoke("Which river is in Paris?", k=1)) == 1


def test_retriever_cache_miss_is_compressed_and_stored(collection):
    fingerprint = collection.model.fingerprint()
    record = collection.retrieve("Which river is in Paris?", 1)[0].record
    collection.store.delete_document(record.doc_id)
    assert not collection.store.has(fingerprint, record.content_hash, 4)
    first = GMSARetriever(collection=collection, k=1).invoke("Which river is in Paris?")[0]
    assert first.metadata["cache"] == "miss"
    assert collection.store.has(fingerprint, record.content_hash, 4)
    assert GMSARetriever(collection=collection, k=1).invoke("Which river is in Paris?")[0].metadata["cache"] == "hit"


@pytest.fixture
def chain(collection):
    retriever = GMSARetriever(collection=collection, k=2)
    reader = GMSAReader(collection=collection, params=PIECES)
    return {"context": retriever, "question": RunnablePassthrough()} | reader


def _check_answer(message, collection):
    assert isinstance(message, AIMessage)
    assert isinstance(message.content, str)
    meta = message.response_metadata
    assert [s["doc_id"] for s in meta["sources"]][0] == "paris.txt"
    stats = meta["stats"]
    assert stats["mode"] == "gmsa" and stats["rate"] == 4 and stats["top_k"] == 2
    assert stats["cache_hits"] == 2 and stats["cache_misses"] == 0
    assert stats["soft_tokens"] >= 2 and stats["text_tokens"] > 0 and stats["text_pieces"] == 4


def test_chain_invoke_and_batch(chain, collection):
    _check_answer(chain.invoke("Which river is in Paris?"), collection)
    answers = chain.batch(["Which river is in Paris?", "Which river is in Paris?"])
    assert len(answers) == 2
    for a in answers:
        _check_answer(a, collection)
    assert answers[0].content == answers[1].content  # greedy decoding


def test_reader_with_a_scheduler_decodes_a_batch_together(collection):
    """GMSAReader(scheduler=...): batch / abatch run their calls concurrently, the scheduler
    decodes them as one batch, and each answer equals the unbatched one."""
    from gmsa_rag.serving import BatchScheduler

    questions = ["Which river is in Paris?", "What is the capital of Italy?", "Where is Berlin?"]
    retriever = GMSARetriever(collection=collection, k=2)
    plain = {"context": retriever, "question": RunnablePassthrough()} | GMSAReader(collection=collection, params=PIECES)
    with BatchScheduler(collection.model, max_batch=4, max_wait_s=0.5) as scheduler:
        reader = GMSAReader(collection=collection, params=PIECES, scheduler=scheduler)
        batched = {"context": retriever, "question": RunnablePassthrough()} | reader
        answers = batched.batch(questions)
        async_answers = asyncio.run(batched.abatch(questions))
    expected = [plain.invoke(q).content for q in questions]
    assert [a.content for a in answers] == expected == [a.content for a in async_answers]
    assert all(a.response_metadata["stats"]["mode"] == "gmsa" for a in answers)
    assert scheduler.stats.largest > 1


def test_chain_stream(chain, collection):
    chunks = list(chain.stream("Which river is in Paris?"))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert len([c for c in chunks if c.content]) >= 2  # several pieces, not one blob
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    _check_answer(AIMessage(content=total.content, response_metadata=total.response_metadata), collection)
    assert total.content.strip() == chain.invoke("Which river is in Paris?").content


def test_chain_with_output_parser_streams_text(chain):
    pieces = list((chain | StrOutputParser()).stream("Which river is in Paris?"))
    assert len([p for p in pieces if p]) >= 2 and all(isinstance(p, str) for p in pieces)


def test_chain_async(chain, collection):
    async def run():
        answer = await chain.ainvoke("Which river is in Paris?")
        chunks = [c async for c in chain.astream("Which river is in Paris?")]
        batch = await chain.abatch(["Which river is in Paris?"] * 2)
        return answer, chunks, batch

    answer, chunks, batch = asyncio.run(run())
    _check_answer(answer, collection)
    assert len([c for c in chunks if c.content]) >= 2
    assert "".join(c.content for c in chunks).strip() == answer.content
    assert [b.content for b in batch] == [answer.content] * 2


def test_plain_documents_are_compressed_and_stored(collection):
    reader = GMSAReader(collection=collection, params=PIECES)
    text = "London is the capital of England. The river in London is the Thames."
    fingerprint = collection.model.fingerprint()
    assert not collection.store.has(fingerprint, content_hash(text), 4)
    first = reader.invoke({"context": [Document(page_content=text)], "question": "Which river is in London?"})
    stats = first.response_metadata["stats"]
    assert stats["cache_misses"] == 1 and stats["cache_hits"] == 0 and stats["soft_tokens"] >= 1
    assert first.response_metadata["sources"][0]["doc_id"] == EXTERNAL_DOC_ID
    assert collection.store.has(fingerprint, content_hash(text), 4)
    assert collection.store.has(fingerprint, content_hash(text), 8)  # every rate stored at once
    again = reader.invoke({"context": [Document(page_content=text)], "question": "Which river is in London?"})
    assert again.response_metadata["stats"]["cache_hits"] == 1 and again.content == first.content
    assert collection.store.delete_document(EXTERNAL_DOC_ID) >= 1  # removable under their doc id


def test_reader_from_another_retriever_in_a_chain(collection):
    from langchain_core.runnables import RunnableLambda

    other = RunnableLambda(lambda q: [Document(page_content="Rome is the capital of Italy.", metadata={"source": "x"})])
    chain = {"context": other, "question": RunnablePassthrough()} | GMSAReader(collection=collection, params=PIECES)
    answer = chain.invoke("What is the capital of Italy?")
    assert answer.response_metadata["stats"]["cache_misses"] == 1
    assert len([c for c in chain.stream("What is the capital of Italy?") if c.content]) >= 2


def test_reader_without_context_answers_closed_book(collection):
    answer = GMSAReader(collection=collection, params=PIECES).invoke("What is the capital of Italy?")
    assert answer.response_metadata["stats"]["mode"] == "closed" and answer.response_metadata["sources"] == []


def test_reader_rejects_bad_input(collection):
    from gmsa_rag.errors import InputError

    with pytest.raises(InputError):
        GMSAReader(collection=collection).invoke({"context": ["not a document"], "question": "q"})
    with pytest.raises(InputError):
        GMSAReader(collection=collection).invoke({"context": [], "question": "  "})


# ------------------------------------------------------------------ chat model


class TestChatGMSAStandard(ChatModelUnitTests):
    @pytest.fixture(autouse=True)
    def _bind(self, collection):
        self._collection = collection

    @property
    def chat_model_class(self):
        return ChatGMSA

    @property
    def chat_model_params(self):
        return {"collection": self._collection}


def test_chat_model_answers_from_system_context_and_caches_it(collection):
    chat = ChatGMSA(collection=collection, max_tokens=4)
    assert GMSAChatModel is ChatGMSA
    context = "Paris is the capital of France. The river in Paris is the Seine."
    messages = [SystemMessage(context), HumanMessage("Which river is in Paris?")]
    first = chat.invoke(messages)
    stats = first.response_metadata["stats"]
    assert stats["mode"] == "gmsa" and stats["cache_misses"] == 1 and stats["soft_tokens"] >= 1
    assert collection.store.has(collection.model.fingerprint(), content_hash(context), 4)
    assert chat.invoke(messages).response_metadata["stats"]["cache_hits"] == 1
    closed = chat.invoke("Which river is in Paris?")
    assert closed.response_metadata["stats"]["mode"] == "closed"


def test_chat_model_stream_and_documents_kwarg(collection):
    retriever = GMSARetriever(collection=collection, k=2)
    chat = ChatGMSA(collection=collection, max_tokens=4, temperature=0)
    docs = retriever.invoke("Which river is in Paris?")
    chunks = list(chat.stream("Which river is in Paris?", documents=docs))
    assert len([c for c in chunks if c.content]) >= 1
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    assert total.response_metadata["stats"]["cache_hits"] == 2
    assert [s["doc_id"] for s in total.response_metadata["sources"]][0] == "paris.txt"
    answer = chat.invoke("Which river is in Paris?", documents=docs)
    assert answer.content == total.content.strip()


def test_chat_model_in_an_lcel_chain_with_a_prompt(collection):
    retriever = GMSARetriever(collection=collection, k=2)
    prompt = ChatPromptTemplate.from_messages([("system", "{context}"), ("human", "{question}")])
    join = lambda docs: "\n\n".join(d.page_content for d in docs)  # noqa: E731
    chain = {"context": retriever | join, "question": RunnablePassthrough()} | prompt | ChatGMSA(collection=collection, max_tokens=4)
    answer = chain.invoke("Which river is in Paris?")
    assert answer.response_metadata["stats"]["mode"] == "gmsa"
    assert asyncio.run(chain.ainvoke("Which river is in Paris?")).content == answer.content
    assert "".join(c.content for c in chain.stream("Which river is in Paris?")).strip() == answer.content
