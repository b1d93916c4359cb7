"""`tokenizers` pipelines built from typed components, and finding components in a tokenizer.json.

The converters in load.py build their Hugging Face tokenizer here, the way `tokenizers`' own
`implementations/byte_level_bpe.py` does: a model, a normalizer, a pretokenizer and a decoder, each a typed
object, serialized once with `to_str()`. A document that a user gave is read by walking its nodes by type.
"""

from __future__ import annotations

from collections.abc import Iterator

from .bytemap import bytes_to_symbols
from .merges import Merge


def find_nodes(node, kind: str) -> Iterator[dict]:
    """Every component of type `kind` in a tokenizer.json node (a Sequence is walked into)."""
    if isinstance(node, dict):
        if node.get("type") == kind:
            yield node
        for v in node.values():
            yield from find_nodes(v, kind)
    elif isinstance(node, list):
        for v in node:
            yield from find_nodes(v, kind)


def split_then_bytes(pattern: str):
    """The tiktoken pretokenizer: split by the regex (each match its own piece), then map to byte symbols."""
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), "isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])



def _add_specials(tok, specials: dict[str, int], non_special: dict[str, int] | None = None) -> None:
    from tokenizers import AddedToken

    def added(content: str, special: bool) -> AddedToken:
        return AddedToken(content, single_word=False, lstrip=False, rstrip=False, normalized=False, special=special)

    rows = [(i, s, True) for s, i in specials.items()] + [(i, s, False) for s, i in (non_special or {}).items()]
    rows.sort()
    tok.add_special_tokens([added(s, True) for _, s, sp in rows if sp])
    if non_special:
        tok.add_tokens([added(s, False) for _, s, sp in rows if not sp])


def _with_specials(vocab: dict[str, int], specials: dict[str, int]) -> dict[str, int]:
    # Special tokens go into the model's vocabulary at their ids, as `tokenizers`' Tekken converter does:
    # an added token that is not there gets the next free id, and these files leave gaps before theirs.
    out = dict(vocab)
    for s, i in specials.items():
        if out.setdefault(s, i) != i:
            raise ValueError(f"special token {s!r} has id {i} but is also the ordinary token {out[s]}")
    return out


def byte_level_bpe(ranks: dict[bytes, int], merges: list[Merge], pattern: str, specials: dict[str, int], *,
                   nfc: bool, id_offset: int = 0):
    """tiktoken ranks (or Tekken) as a byte-level BPE `tokenizers.Tokenizer`."""
    from tokenizers import Tokenizer, decoders, models, normalizers

    vocab = {bytes_to_symbols(tok): rank + id_offset for tok, rank in ranks.items()}
    model = models.BPE(vocab=_with_specials(vocab, specials),
                       merges=[(bytes_to_symbols(a), bytes_to_symbols(b)) for a, b in merges],
                       fuse_unk=False, byte_fallback=False, ignore_merges=True)
    tok = Tokenizer(model)
    if nfc:
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = split_then_bytes(pattern)
    tok.decoder = decoders.ByteLevel()
    _add_specials(tok, specials)
    return tok


def sentencepiece_bpe(vocab: dict[str, int], merges: list[tuple[str, str]], *, unk: str | None, byte_fallback: bool,
                      remove_extra_whitespaces: bool, add_dummy_prefix: bool, specials: dict[str, int],
                      user_defined: dict[str, int]):
    """A SentencePiece BPE model as a `tokenizers.Tokenizer`: ▁ for spaces in the normalizer, no pretokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers

    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=unk, fuse_unk=True, byte_fallback=byte_fallback,
                               ignore_merges=False))
    steps = []
    if remove_extra_whitespaces:
        steps += [normalizers.Strip(left=True, right=True), normalizers.Replace(Regex(" {2,}"), " ")]
    if add_dummy_prefix:
        steps.append(normalizers.Prepend("▁"))
    steps.append(normalizers.Replace(" ", "▁"))
    tok.normalizer = normalizers.Sequence(steps)
    tok.decoder = decoders.Sequence([
        decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
        *([decoders.Strip(" ", 1, 0)] if add_dummy_prefix else []),
    ])
    _add_specials(tok, specials, user_defined)
    return tok


def gguf_pretokenizer(kind: str, pattern: str | None):
    """GGUF's named pretokenizers: GPT-2's ByteLevel regex, digits first, or a Split regex before ByteLevel."""
    from tokenizers import pre_tokenizers

    regex_bytes = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if kind == "digits":
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), regex_bytes])
    if kind == "gpt2":
        return regex_bytes
    return split_then_bytes(pattern)


def gguf_bpe(tokens: list[str], merges: list[tuple[str, str]], pre_tokenizer, specials: dict[str, int]):
    """A GGUF file's byte-level BPE vocabulary as a `tokenizers.Tokenizer`."""
    from tokenizers import Tokenizer, decoders, models

    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges, fuse_unk=False,
                               byte_fallback=False, ignore_merges=False))
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    _add_specials(tok, specials)
    return tok
