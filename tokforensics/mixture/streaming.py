"""Counts of a user's category directory, streamed: plan the jobs, sample, count, merge, and turn pretoken tables
into the DocumentCounts that replay and the bootstrap read.

Nothing here holds a category's text: workers (local processes or Dask workers) read their byte ranges
themselves and send back pretoken tables, whose size is the number of distinct pretokens, not the corpus.

Sampling (`bytes_per_category`) keeps whole documents: each document has a seeded 64-bit key (its file's salt
mixed with its byte offset); documents are taken in key order, each one that still fits the budget is kept, and the
rest are skipped. A first pass reads only keys and sizes (16 bytes per document); the count pass gets the sorted
kept keys (8 bytes per kept document).

Bootstrap: per-document counts of a streamed corpus would be as large as the corpus, so documents are dealt into
BOOTSTRAP_BLOCKS seeded blocks per category (a document's block is its key's high 32 bits modulo the count) and
replicates resample blocks; a category with fewer documents than blocks has about one document per block.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import cache
from ..corpus import locations
from ..corpus.categories import (
    MIN_CATEGORY_BYTES,
    CategoryFiles,
    category_source,
    default_group,
    detect_script,
    discover_user_dir,
    is_shipped_pack,
    pack_dir,
    shipped_pack_info,
)
from ..corpus.documents import FileRange, document_keys, file_ranges, head_text, iter_batches
from ..corpus.textio import NotUtf8Error, inner_suffix, require_regular
from ..errors import InputError
from ..progress import Progress
from ..tokenizer.view import Tokenizer
from .counts import DocumentCounts, WordArrays
from .executor import Executor
from .pretokens import (
    TABLE_FIELDS,
    CountJob,
    PretokenizerSpec,
    RangeCounts,
    count_range,
    merge,
    pretokenizer_spec,
    table_arrays,
    table_from_arrays,
)

STREAM_VERSION = "1"
BOOTSTRAP_BLOCKS = 256


@dataclass(frozen=True)
class StreamedCategory:
    name: str
    group: str
    script: str
    source: str
    display_name: str
    files: tuple[str, ...]
    digests: tuple[str, ...]
    salts: tuple[int, ...]
    selection: str | None  # hash of the kept keys (sampling); None: every document
    table_keys: tuple[str, ...]  # one cached pretoken table per file


@dataclass(frozen=True)
class StreamPlan:
    name: str
    source: str
    categories: list[StreamedCategory]
    warnings: list[str]
    spec: PretokenizerSpec
    blocks: int
    kept: list[np.ndarray | None]  # per category: sorted keys of the sampled documents (None: all)


def _digest_job(path: str) -> str:
    h = hashlib.sha256()
    with locations.open_raw(path) as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def _digests(paths: list[str], executor: Executor, progress: Progress | None) -> list[str]:
    """Content hashes, remembered by (path, size, mtime, inode) so an unchanged 100 GB corpus is not re-read (for a
    URL: by the store's version fields, where it has them)."""
    versions = [locations.version_mark(p) for p in paths]
    sizes = [v[1] if v is not None else locations.size(p) for v, p in zip(versions, paths, strict=True)]
    out = [cache.recalled_digest(v) for v in versions]
    todo = [i for i, d in enumerate(out) if d is None]
    total = sum(sizes[i] for i in todo)
    done = 0
    for i, d in zip(todo, executor.map(_digest_job, [paths[i] for i in todo]), strict=True):
        out[i] = d
        cache.remember_digest(versions[i], d)
        done += sizes[i]
        if progress:
            progress("hash", done, total)
    return out  # type: ignore[return-value]


def _salt(seed: int, category: str, rel: str) -> int:
    return int(cache.key_of("document-salt", seed, category, rel)[:16], 16)


def _keys_job(fr: FileRange) -> tuple[np.ndarray, np.ndarray] | tuple[str, str]:
    try:
        keys, sizes = [], []
        for batch in iter_batches(fr):
            keys.append(document_keys(batch.offsets, fr.salt))
            sizes.append(batch.sizes)
        return (np.concatenate(keys) if keys else np.zeros(0, np.uint64),
                np.concatenate(sizes) if sizes else np.zeros(0, np.int64))
    except NotUtf8Error as exc:
        return ("not-utf8", str(exc))
    except InputError as exc:
        return ("input", str(exc))


def _select(keys: np.ndarray, sizes: np.ndarray, budget: int) -> np.ndarray | None:
    """The sorted keys of the documents kept under `budget` (None: everything fits)."""
    if int(sizes.sum()) <= budget:
        return None
    order = np.argsort(keys, kind="stable")
    cum = np.cumsum(sizes[order])
    n = int(np.searchsorted(cum, budget, side="right"))  # the run that fits as a whole: no loop over it
    kept = [order[:n]]
    left = budget - (int(cum[n - 1]) if n else 0)
    smallest = int(sizes.min())
    tail = []
    for i in order[n:].tolist():  # then each later document that still fits
        if left < smallest:
            break
        s = int(sizes[i])
        if s <= left:
            tail.append(i)
            left -= s
    kept.append(np.asarray(tail, np.int64))
    return np.sort(keys[np.concatenate(kept)])


def is_user_dir(spec: str | Path) -> bool:
    """Whether load_categories would read `spec` as a user directory (not a shipped pack)."""
    if locations.is_url(spec):
        return True
    return not is_shipped_pack(spec) and Path(spec).expanduser().is_dir()


def plan_user_dir(tok: Tokenizer, root: Path | str, *, budget: int | None, seed: int, bootstrap: bool,
                  executor: Executor, progress: Progress | None = None) -> StreamPlan:
    """root: a local folder, or an fsspec URL (a str) that every worker can open."""
    url = locations.is_url(root)
    if not url:
        root = Path(root).expanduser().absolute()  # workers elsewhere resolve no relative path
    root_name = locations.name_of(str(root))
    found, warnings = discover_user_dir(root)
    if len(found) < 2:  # said before any file is read, not after counting a large one
        raise InputError(f"{root_name}: need at least two categories to infer a mixture (found {len(found)})")
    if not url:
        for cf in found:
            for p in cf.files:
                require_regular(p)  # a FIFO would block the hashing forever
    return _plan(tok, found, warnings, root_name, f"user directory {root}", budget=budget, seed=seed,
                 bootstrap=bootstrap, executor=executor, progress=progress)


def plan_shipped_pack(tok: Tokenizer, name: str, *, min_bytes: int, seed: int, executor: Executor,
                      progress: Progress | None = None) -> StreamPlan:
    """A shipped pack counted by the streamed path (its files are JSON Lines .xz, one per category): the counts of
    loading it whole (`corpus.categories.load_categories`), at the compiled counter's speed, without
    decompressing it in the client. For whole categories only (no sampling, no bootstrap: those keep the
    in-memory path's per-document semantics). Categories under min_bytes (by pack.json's sizes) are left out
    before anything is read, with the in-memory path's note."""
    root = pack_dir(name)
    meta, source = shipped_pack_info(name)
    found, dropped = [], []
    for c in meta["categories"]:
        if c["bytes"] < min_bytes:
            dropped.append(c["name"])
            continue
        path = root / c["file"]
        found.append(CategoryFiles(name=c["name"], where=str(path), files=(path,), group=c["group"],
                                   script=c["script"], display_name=c.get("display_name", c["name"]),
                                   source=category_source(c)))
    warnings = [left_out_note(dropped, min_bytes)] if dropped else []
    if len(found) < 2:
        raise InputError(f"{name}: need at least two categories to infer a mixture (found {len(found)})")
    return _plan(tok, found, warnings, name, source, budget=None, seed=seed, bootstrap=False, executor=executor,
                 progress=progress)


def left_out_note(dropped: list[str], min_bytes: int) -> str:
    """The note that names the categories left out for being under --min-category-bytes."""
    return f"{len(dropped)} categories under {min_bytes:,} bytes left out (--min-category-bytes): " + ", ".join(dropped)


def _plan(tok: Tokenizer, found: list[CategoryFiles], warnings: list[str], name: str, source: str, *,
          budget: int | None, seed: int, bootstrap: bool, executor: Executor,
          progress: Progress | None) -> StreamPlan:
    spec = pretokenizer_spec(tok)
    blocks = BOOTSTRAP_BLOCKS if bootstrap else 1
    paths = [str(p) for cf in found for p in cf.files]
    digest_of = dict(zip(paths, _digests(paths, executor, progress), strict=True))
    cats_files: list[tuple[CategoryFiles, list[str], list[int]]] = []
    for cf in found:
        rels = [_relative(str(p), cf.where) for p in cf.files]
        salts = [_salt(seed, cf.name, r) for r in rels]
        cats_files.append((cf, [str(p) for p in cf.files], salts))
    selections = _selections(cats_files, digest_of, budget, seed, executor, progress) if budget else \
        [None] * len(found)
    cats = []
    kept: list[np.ndarray | None] = []
    for (cf, files, salts), sel in zip(cats_files, selections, strict=True):
        thr = None if sel is None else hashlib.sha256(sel.tobytes()).hexdigest()
        group = cf.group or default_group(cf.name)
        script = cf.script or ("code" if group == "code" else detect_script(head_text(list(cf.files))))
        keyed_salts = [s if (thr is not None or blocks > 1) else 0 for s in salts]
        table_keys = tuple(
            cache.key_of("pretoken-table", STREAM_VERSION, spec.fingerprint, digest_of[f], inner_suffix(Path(f)),
                         thr, blocks, s)
            for f, s in zip(files, keyed_salts, strict=True))
        cats.append(StreamedCategory(cf.name, group, script, cf.source or f"user files: {cf.where}",
                                     cf.display_name, tuple(files), tuple(digest_of[f] for f in files), tuple(salts),
                                     thr, table_keys))
        kept.append(sel)
    return StreamPlan(name, source, cats, warnings, spec, blocks, kept)


def _relative(path: str, where: str) -> str:
    """A file's name inside its category (the file's own name for a one-file category): seeds its documents'
    keys, so a URL and a local copy of the same folder sample the same documents."""
    if path == where:
        return locations.name_of(path)
    return path[len(where.rstrip("/")) + 1:].replace("\\", "/")


def _selections(cats_files, digest_of, budget, seed, executor, progress) -> list[np.ndarray | None]:
    out: list[np.ndarray | None] = [None] * len(cats_files)
    todo = []
    paths = []
    for i, (cf, files, _) in enumerate(cats_files):
        path = cache.entry_path("stream", cache.key_of("selection", STREAM_VERSION, [digest_of[f] for f in files],
                                                       seed, cf.name, budget, [Path(f).name for f in files]), ".npz")
        paths.append(path)
        entry = _selection_entry(path)
        if entry is not None:
            out[i] = entry[0]
        else:
            todo.append(i)
    jobs, owner = [], []
    for i in todo:
        _, files, salts = cats_files[i]
        for f, s in zip(files, salts, strict=True):
            for fr in file_ranges(f, s):
                jobs.append(fr)
                owner.append(i)
    total = sum(_range_bytes(fr) for fr in jobs)
    done = 0
    parts: dict[int, list] = {i: [] for i in todo}
    for fr, i, res in zip(jobs, owner, executor.map(_keys_job, jobs), strict=True):
        done += _range_bytes(fr)
        if progress:
            progress("sample", done, total)
        if isinstance(res[0], str):
            if res[0] == "input":
                raise InputError(res[1])
            continue  # not UTF-8: the count pass skips the file and says so
        parts[i].append(res)
    for i in todo:
        keys = np.concatenate([k for k, _ in parts[i]]) if parts[i] else np.zeros(0, np.uint64)
        sizes = np.concatenate([s for _, s in parts[i]]) if parts[i] else np.zeros(0, np.int64)
        out[i] = _select(keys, sizes, budget)
        cache.store(paths[i], cache.npz_bytes(all=np.array(out[i] is None),
                                              kept=np.zeros(0, np.uint64) if out[i] is None else out[i]))
    return out


def _selection_entry(path: Path) -> tuple[np.ndarray | None] | None:
    z = cache.read_entry(path, cache.npz_arrays(("all", "kept")))
    if z is None:
        return None
    return (None if bool(z["all"]) else z["kept"].astype(np.uint64),)


def _range_bytes(fr: FileRange) -> int:
    size = locations.size(fr.path)
    return (size if fr.end is None else fr.end) - fr.start


def _load_table(key: str) -> RangeCounts | None:
    parse = cache.npz_arrays(TABLE_FIELDS)
    return cache.read_entry(cache.entry_path("stream", key, ".table.npz"), lambda data: table_from_arrays(parse(data)))


def _store_table(key: str, rc: RangeCounts) -> None:
    cache.store(cache.entry_path("stream", key, ".table.npz"), cache.npz_bytes(**table_arrays(rc)))


def count_plan(plan: StreamPlan, executor: Executor, progress: Progress | None = None,
               notes: list[str] | None = None) -> list[RangeCounts]:
    """One pretoken table per category, from the cache per file where counted before."""
    tables: dict[str, RangeCounts] = {}
    jobs: list[CountJob] = []
    owner: list[tuple[int, int]] = []
    for ci, c in enumerate(plan.categories):
        for fi, (f, salt, key) in enumerate(zip(c.files, c.salts, c.table_keys, strict=True)):
            if key in tables:
                continue
            rc = _load_table(key)
            if rc is not None:
                tables[key] = rc
                continue
            for fr in file_ranges(f, salt):
                jobs.append(CountJob(fr, plan.spec, plan.kept[ci], plan.blocks))
                owner.append((ci, fi))
    # largest first: the last job to finish is a small one, so two workers end together
    order = sorted(range(len(jobs)), key=lambda j: -_range_bytes(jobs[j].range))
    total = sum(_range_bytes(j.range) for j in jobs)
    done = 0
    parts: dict[tuple[int, int], list[RangeCounts]] = {}
    bad: dict[tuple[int, int], str] = {}
    if progress and jobs:
        progress("count", 0, total)
    for j, res in zip(order, executor.map(count_range, [jobs[j] for j in order]), strict=True):
        done += _range_bytes(jobs[j].range)
        if progress:
            progress("count", done, total)
        if isinstance(res, tuple):
            if res[0] == "input":
                raise InputError(res[1])
            bad[owner[j]] = res[1]
            continue
        parts.setdefault(owner[j], []).append((jobs[j].range.start, res))
    out = []
    for ci, c in enumerate(plan.categories):
        files = []
        for fi, key in enumerate(c.table_keys):
            if (ci, fi) in bad:
                if notes is not None:
                    notes.append(f"skipped {bad[(ci, fi)]}")
                continue
            if key not in tables:
                pieces = [rc for _, rc in sorted(parts.get((ci, fi), []), key=lambda p: p[0])]
                tables[key] = merge(pieces, plan.blocks) if pieces else RangeCounts([], np.zeros(0, np.int64))
                if pieces:
                    _store_table(key, tables[key])
            files.append(tables[key])
        if not files:
            raise InputError(f"category {c.name!r} has no usable text: every file was skipped as not UTF-8 "
                             f"({c.source.removeprefix('user files: ')}); convert it to UTF-8")
        rc = merge(files, plan.blocks)
        where = c.source.removeprefix("user files: ")
        if rc.n_bytes == 0 or all(not p.strip() for p in rc.pieces):
            raise InputError(f"category {c.name!r} is empty ({where}); add UTF-8 text to it or remove it")
        if rc.n_bytes < MIN_CATEGORY_BYTES:
            hint = "raise bytes_per_category" if c.selection is not None else "add more text or remove it"
            raise InputError(f"category {c.name!r} has only {rc.n_bytes} bytes of text ({where}), too small to "
                             f"count (need at least {MIN_CATEGORY_BYTES}); {hint}")
        out.append(rc)
    return out


def base_symbols(tok: Tokenizer, pieces: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(symbols, lengths): each piece's base-symbol ids, concatenated, and how many each piece has."""
    if tok.byte_level:
        lut = np.full(256, -1, np.int64)
        for b, i in tok.byte_token_ids.items():
            lut[b] = i
        encoded = [p.encode("utf-8") for p in pieces]
        lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
        symbols = lut[np.frombuffer(b"".join(encoded), np.uint8)]
        if (symbols < 0).any():  # a byte without a token of its own: the slow path says what the tokenizer does
            ids = [tok.piece_base_ids(p) for p in pieces]
            return (np.asarray([i for x in ids for i in x], np.int64),
                    np.fromiter(map(len, ids), np.int64, len(ids)))
        return symbols, lengths
    ids = [tok.piece_base_ids(p) for p in pieces]
    return np.asarray([i for x in ids for i in x], np.int64), np.fromiter(map(len, ids), np.int64, len(ids))


def table_document_counts(tok: Tokenizer, rc: RangeCounts, blocks: int = 1) -> DocumentCounts:
    """The table as replay input: words sorted as document_counts sorts them, words under two symbols dropped;
    the "documents" are the category's nonempty blocks (one block when there is no bootstrap)."""
    order = np.asarray(sorted(range(len(rc.pieces)), key=rc.pieces.__getitem__), np.int64)
    symbols, lengths = base_symbols(tok, [rc.pieces[k] for k in order.tolist()])
    keep = lengths >= 2
    sym_keep = np.repeat(keep, lengths)
    kept_lengths = lengths[keep]
    new_id = np.full(len(rc.pieces), -1, np.int64)
    new_id[order[keep]] = np.arange(int(keep.sum()))
    wa = WordArrays(symbols=symbols[sym_keep].astype(np.int64),
                    word_start=np.concatenate([[0], np.cumsum(kept_lengths)]).astype(np.int64),
                    counts=rc.counts[order][keep].astype(np.int64), n_bytes=int(rc.n_bytes),
                    n_pretokens=int(rc.n_pretokens))
    W = len(wa.counts)
    if blocks <= 1 or not len(rc.block_rows):
        return DocumentCounts(wa, np.array([0, W], np.int64), np.arange(W, dtype=np.int64), wa.counts.copy(),
                              np.array([rc.n_bytes], np.int64))
    nonempty = np.flatnonzero(rc.block_docs > 0)
    remap = np.full(len(rc.block_docs), -1, np.int64)
    remap[nonempty] = np.arange(len(nonempty))
    words = new_id[rc.block_words]
    ok = words >= 0
    rows = remap[rc.block_rows[ok]]
    words, nums = words[ok], rc.block_counts[ok]
    srt = np.lexsort((words, rows))
    rows, words, nums = rows[srt], words[srt], nums[srt]
    ptr = np.searchsorted(rows, np.arange(len(nonempty) + 1), side="left").astype(np.int64)
    return DocumentCounts(wa, ptr, words.astype(np.int64), nums.astype(np.int64),
                          rc.block_bytes[nonempty].astype(np.int64))


def counts_key(tok: Tokenizer, c: StreamedCategory) -> str:
    """What the category's DocumentCounts under `tok` depend on (keys its trajectory in the cache)."""
    return cache.key_of("stream-counts", STREAM_VERSION, tok.sha256, tok.name, list(c.table_keys))
