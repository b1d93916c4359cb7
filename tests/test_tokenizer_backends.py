"""The backend layer: one protocol over tiktoken, tokenizers and sentencepiece; shared helpers below it."""

import pytest
from tokenizers import Tokenizer as HFTokenizer

from tokforensics.corpus.textio import json_lines
from tokforensics.errors import InputError
from tokforensics.tokenizer import display
from tokforensics.tokenizer.backends import HFBackend, SentencePieceBackend, TiktokenBackend
from tokforensics.tokenizer.view import load_tokenizer
from tokforensics.utf8 import char_length


@pytest.fixture(scope="module")
def gpt2():
    return load_tokenizer("gpt2")


@pytest.fixture(scope="module")
def smollm2():
    return load_tokenizer("smollm2")


def test_backend_kinds(gpt2, smollm2):
    assert isinstance(gpt2._backend, TiktokenBackend) and isinstance(smollm2._backend, HFBackend)


@pytest.mark.parametrize("name", ["gpt2", "smollm2"])
def test_special_policy_is_an_argument(name, request):
    tok = request.getfixturevalue(name)
    lit = "<|endoftext|>"
    tid = tok.specials[lit]
    assert tok.encode(lit) == [tid]
    ordinary = tok.encode(lit, specials=False)
    assert tid not in ordinary and tok.decode(ordinary) == lit
    assert tok.encode_batch([lit, "a"], specials=False)[0] == ordinary


def test_decode_batch_matches_decode(gpt2, smollm2):
    for tok in (gpt2, smollm2):
        ids = tok.encode_batch(["Hello world", "çà et là", ""])
        assert tok.decode_batch(ids) == [tok.decode(x) for x in ids]


def test_pretokenize_offsets_point_into_the_normalized_text(gpt2, smollm2):
    for tok in (gpt2, smollm2):
        text = "Hello  world 12345!"
        norm = tok.normalize(text)
        pieces = tok.pretokenize_with_offsets(text)
        assert [norm[s:e] for _, (s, e) in pieces] == [p for p, _ in pieces] == tok.pretokenize(text)


def test_exported_json_keeps_special_ids():
    """cl100k leaves a gap before its specials: the exported tokenizer.json must still give them their ids."""
    tok = load_tokenizer("gpt4")
    hf = HFTokenizer.from_str(tok.hf_json())
    for lit in ("<|endoftext|>", "<|endofprompt|>"):
        assert hf.encode(lit, add_special_tokens=False).ids == tok.encode(lit) == [tok.specials[lit]]


def test_sentencepiece_unigram_backend(tmp_path):
    from tests.test_tokenizer_load import _sp_model

    tok = load_tokenizer(_sp_model(tmp_path, "unigram"))
    assert isinstance(tok._backend, SentencePieceBackend) and tok.algorithm == "unigram"
    ids = tok.encode("hello world")
    assert tok.decode_batch([ids]) == [tok.decode(ids)] and tok.merge_pieces() == []


def test_display_one_escaping():
    assert display.piece("é".encode()) == "é"
    assert display.piece(b"\xe4\xb8") == "\\xe4\\xb8"
    assert display.token_text(b"a\n") == "a\\n" and display.token_text("é\t".encode()) == "é\\t"
    assert display.pieces([b"a", b"\xff"], [1, 0, 7]) == ["\\xff", "a", "<id 7?>"]
    assert display.marked("a\nb\tc\r") == "a↵b→c␍"


def test_utf8_char_length():
    assert [char_length(b) for b in (0x41, 0xC3, 0xE2, 0xF0, 0x80, 0xC0, 0xF5)] == [1, 2, 3, 4, 0, 0, 0]


def test_json_lines_errors_name_the_line():
    assert list(json_lines(['{"text": "a"}', "", '{"text": "b"}'], "f.jsonl", "text")) == [
        (1, {"text": "a"}), (3, {"text": "b"})]
    with pytest.raises(InputError, match=r"f\.jsonl:2: not valid JSON"):
        list(json_lines(["{}", "{"], "f.jsonl"))
    with pytest.raises(InputError, match=r'f\.jsonl:1: expected an object with a string "text" field'):
        list(json_lines(['{"text": 1}'], "f.jsonl", "text"))
