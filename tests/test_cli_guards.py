"""Bad input the audit found reaching a traceback, a hang, a wrong exit code or a destroyed file: each is now one
error line on stderr and exit code 2 (or, for help under --json, nothing on stdout)."""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer

from tokforensics.errors import UsageError, closest, did_you_mean

from .cli_helpers import assert_clean_error, run_tok

ROOT = Path(__file__).resolve().parents[1]
HUGE = "99999999999999999999999"
TEXT = ("The committee will meet on Tuesday to discuss the annual budget and the new building plans.\n"
        "Komite yıllık bütçeyi ve yeni bina planlarını görüşmek için salı günü toplanacak.\n") * 40


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _one_error_line(run, *needles: str) -> None:
    """Exit 2, and stderr is exactly one line, the error (no blank line, no note, no traceback) naming `needles`."""
    assert_clean_error(run, *needles)
    assert run.err.splitlines() == [run.err.strip()], repr(run.err)
    assert run.err.startswith("error:") and not run.out.strip()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A small BPE tokenizer (about 60 merges), a WordLevel one, and a folder of two categories."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    d = tmp_path_factory.mktemp("guards")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.train_from_iterator([TEXT], trainers.BpeTrainer(
        vocab_size=256 + 60, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    bpe.save(str(d / "t.json"))
    wl = Tokenizer(models.WordLevel({"a": 0, "[UNK]": 1}, unk_token="[UNK]"))
    wl.pre_tokenizer = pre_tokenizers.Whitespace()
    wl.save(str(d / "wl.json"))
    cats = d / "cats"
    cats.mkdir()
    (cats / "en.txt").write_text(TEXT.split("\n")[0] * 80 + "\n")
    (cats / "tr.txt").write_text(TEXT.split("\n")[1] * 80 + "\n")
    return d


# ---------------------------------------------------------------------------------------------- 1. --scheduler
@pytest.mark.parametrize("address,expected", [
    ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"), ("sched.example:8786", "tcp://sched.example:8786"),
    ("tls://h:1", "tls://h:1"), ("ws://h:8786", "ws://h:8786"), ("ucx://h:13337", "ucx://h:13337"),
    ("inproc://10.0.0.5/123/1", "inproc://10.0.0.5/123/1"), ("[::1]:8786", "tcp://[::1]:8786"),
])
def test_scheduler_addresses_accepted(address, expected):
    from tokforensics.mixture.executor import scheduler_address

    assert scheduler_address(address) == expected


@pytest.mark.parametrize("address", ["bogus", "tcp://x", "ftp://h:1", "h:99999", "tcp://h:port", "inproc://", ""])
def test_scheduler_addresses_refused(address):
    from tokforensics.mixture.executor import scheduler_address

    with pytest.raises(UsageError, match="tcp://HOST:PORT"):
        scheduler_address(address)


def test_bogus_scheduler_fails_at_once(work):
    t0 = time.monotonic()
    # a tokenizer that does not exist: the address is refused before anything is loaded
    run = run_tok("-q", "infer-mixture", str(work / "nope.json"), "--categories", str(work / "cats"),
                  "--scheduler", "bogus")
    _one_error_line(run, "--scheduler 'bogus' is not a Dask scheduler address", "tcp://HOST:PORT")
    assert time.monotonic() - t0 < 10


def test_failed_connection_leaves_no_traceback():
    pytest.importorskip("distributed", reason="Dask is an extra: pip install 'tokforensics[dist]'")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    code = ("from tokforensics.errors import UsageError\n"
            "from tokforensics.mixture.executor import dask_executor\n"
            "try:\n"
            f"    dask_executor('tcp://127.0.0.1:{port}', timeout=1)\n"
            "except UsageError as exc:\n"
            "    print('refused:', exc)\n")
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "refused: cannot reach the Dask scheduler" in p.stdout
    # the half-started client's finaliser used to wait 2 x the timeout, then print a TimeoutError traceback
    assert "Exception ignored" not in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert time.monotonic() - t0 < 60


# ---------------------------------------------------------------------------------------------- 2. number bounds
@pytest.mark.parametrize("args,flag,bound", [
    (("arith", "study", "--preset", "tiny", "--seed", HUGE), "--seed", "4,294,967,295"),
    (("arith", "study", "--preset", "tiny", "--steps", HUGE), "--steps", "1,000,000"),
    (("arith", "study", "--preset", "tiny", "--jobs", HUGE), "--jobs", "256"),
    (("experiment", "mixture", "--merges", HUGE, "--trials", "1", "--n", "2"), "--merges", "100,000"),
    (("experiment", "mixture", "--train-bytes", HUGE), "--train-bytes", "10,000,000,000"),
    (("experiment", "mixture", "--seed", HUGE), "--seed", "4,294,967,295"),
    (("arith", "{t}", "--samples", HUGE), "--samples", "20,000"),
    (("arith", "{t}", "--samples", "100000000"), "--samples", "20,000"),
    (("arith", "{t}", "--seed", HUGE), "--seed", "4,294,967,295"),
    (("arith", "--model", "tiny:{t}", "--threads", HUGE), "--threads", "1,024"),
    (("arith", "--model", "tiny:{t}", "--shot-sets", HUGE), "--shot-sets", "1,000"),
    (("arith", "--model", "tiny:{t}", "--problems", HUGE), "--problems", "5,000"),
    (("infer-mixture", "{t}", "--categories", "{cats}", "--seed", "4294967296"), "--seed", "4,294,967,295"),
    (("infer-mixture", "{t}", "--categories", "{cats}", "--lp-rounds", HUGE), "--lp-rounds", "1,000,000"),
    (("compare", "{t}", "--langs", "tr,en", "--seed", HUGE), "--seed", "4,294,967,295"),
])
def test_huge_numbers_are_refused_with_the_bound(work, args, flag, bound):
    argv = [a.format(t=work / "t.json", cats=work / "cats") for a in args]
    _one_error_line(run_tok("-q", *argv), f"{flag} ", f"must be at most {bound}")


@pytest.mark.parametrize("args,message", [
    (("infer-mixture", "{t}", "--categories", "{cats}", "--merges", "{v}"), "must be at least 1"),
    (("experiment", "mixture", "--merges", "{v}"), "must be at least 1"),
    (("experiment", "mixture", "--trials", "{v}"), "must be at least 1"),
    (("experiment", "mixture", "--n", "{v}"), "must be at least 2"),
    (("arith", "{t}", "--samples", "{v}"), "must be at least 1"),
    (("infer-mixture", "{t}", "--categories", "{cats}", "--lp-time-limit", "{v}"), "must be greater than 0"),
    (("metrics", "{t}", "--alpha", "{v}"), "must be greater than 0"),
    (("arith", "study", "--preset", "tiny", "--lr", "{v}"), "must be greater than 0"),
])
@pytest.mark.parametrize("value", ["-5", "0"])
def test_negative_and_zero_get_the_same_lower_bound(work, args, message, value):
    """A negative value's message states the bound that 0 is then measured against, not 'at least 0'."""
    argv = [a.format(t=work / "t.json", cats=work / "cats", v=value) for a in args]
    _one_error_line(run_tok("-q", *argv), message)


def test_values_at_the_bounds_are_accepted(work):
    run = run_tok("--json", "arith", str(work / "t.json"), "--samples", "1", "--max-digits", "2",
                  "--seed", str(2**32 - 1))
    assert run.code == 0, run.err
    assert run.json()["seed"] == 2**32 - 1 and run.json()["samples"] == 1


def _int_options(cmd) -> list:
    return [p for p in cmd.params if isinstance(p, typer.core.TyperOption)
            and getattr(p.type_descriptor, "annotation", None) in (int, float)]


def test_every_number_option_of_the_audited_commands_has_an_upper_bound():
    from typer.main import get_command

    from tokforensics.cli.app import build_command
    from tokforensics.cli.arith_study import study_app

    root = build_command()
    cmds = {"arith": root.commands["arith"], "arith study": get_command(study_app),
            "experiment mixture": root.commands["experiment"].commands["mixture"],
            "infer-mixture": root.commands["infer-mixture"], "metrics": root.commands["metrics"],
            "compare": root.commands["compare"]}
    unbounded = [f"{name} {p.opts[0]}" for name, cmd in cmds.items() for p in _int_options(cmd) if p.max is None]
    assert unbounded == []
    assert len(_int_options(cmds["arith study"])) >= 12  # the check saw the options it is about


# ---------------------------------------------------------------------------------------------- 3. output = input
@pytest.fixture
def project(work, tmp_path, monkeypatch):
    """A working copy with the tokenizer, a category folder and a policy (with its golden file) made by --init."""
    for name in ("t.json",):
        (tmp_path / name).write_bytes((work / name).read_bytes())
    (tmp_path / "cats").mkdir()
    for f in (work / "cats").iterdir():
        (tmp_path / "cats" / f.name).write_bytes(f.read_bytes())
    (tmp_path / "probes.txt").write_text("hello world\nanother probe\n")
    os.symlink(tmp_path / "t.json", tmp_path / "link.json")
    monkeypatch.chdir(tmp_path)
    init = run_tok("-q", "check", "--init", "t.json")
    assert init.code == 0, init.err
    return tmp_path


@pytest.mark.parametrize("args,target,kind", [
    (("merges", "t.json", "-o", "t.json"), "t.json", "is the tokenizer file"),
    (("merges", "t.json", "-o", "link.json"), "t.json", "is the tokenizer file"),
    (("merges", "t.json", "-o", "./cats/../t.json"), "t.json", "is the tokenizer file"),
    (("export", "link.json", "-o", "t.json"), "t.json", "is the tokenizer file"),
    (("infer-mixture", "t.json", "--categories", "cats", "-o", "t.json"), "t.json", "is the tokenizer file"),
    (("infer-mixture", "t.json", "--categories", "cats", "-o", "cats/en.txt"), "cats/en.txt",
     "is inside the category folder"),
    (("baseline", "t.json", "-o", "t.json"), "t.json", "is the tokenizer file"),
    (("baseline", "-o", "tokforensics.toml"), "tokforensics.toml", "is the policy file"),
    (("baseline", "t.json", "--texts", "probes.txt", "-o", "probes.txt"), "probes.txt", "is the probe texts file"),
    (("check", "--junit", "tokforensics.toml"), "tokforensics.toml", "is the policy file"),
    (("check", "--junit", "tokforensics.golden.json"), "tokforensics.golden.json", "is the golden file"),
    (("check", "--junit", "t.json"), "t.json", "is the tokenizer file"),
    (("check", "t.json", "--init", "--config", "t.json", "--force"), "t.json", "is the tokenizer file"),
])
def test_an_output_that_is_an_input_is_refused(project, args, target, kind):
    before = {p: _sha(p) for p in project.rglob("*") if p.is_file()}
    run = run_tok("-q", *args)
    _one_error_line(run, kind, "this command reads; give another path")
    assert {p: _sha(p) for p in project.rglob("*") if p.is_file()} == before
    assert (project / target).stat().st_size > 0


def test_an_output_beside_the_inputs_is_still_written(project):
    run = run_tok("-q", "merges", "t.json", "-o", "cats/../merges.txt")
    assert run.code == 0, run.err
    assert (project / "merges.txt").read_text().startswith("#version")


# ---------------------------------------------------------------------------------------------- 4. .xz and .zst
def _compressors():
    out = {".xz": lzma.compress}
    try:
        import zstandard
    except ImportError:
        return out
    out[".zst"] = zstandard.ZstdCompressor().compress
    return out


@pytest.mark.parametrize("suffix", [".xz", ".zst"])
def test_metrics_reads_xz_and_zst(work, tmp_path, suffix):
    compress = _compressors().get(suffix)
    if compress is None:
        pytest.skip("zstandard is not installed")
    plain = tmp_path / "c.txt"
    plain.write_text(TEXT)
    packed = tmp_path / f"c.txt{suffix}"
    packed.write_bytes(compress(TEXT.encode()))
    a = run_tok("--json", "metrics", str(work / "t.json"), "--corpus", str(plain))
    b = run_tok("--json", "metrics", str(work / "t.json"), "--corpus", str(packed))
    assert a.code == 0 and b.code == 0, b.err
    ca, cb = a.json()["corpus"], b.json()["corpus"]
    assert (cb["segments"], cb["characters"], cb["bytes"]) == (ca["segments"], ca["characters"], ca["bytes"])
    cut = tmp_path / f"cut.txt{suffix}"
    cut.write_bytes(compress(TEXT.encode())[:-20])
    kind = {".xz": "xz", ".zst": "zstd"}[suffix]
    _one_error_line(run_tok("-q", "metrics", str(work / "t.json"), "--corpus", str(cut)),
                    f"corrupt or truncated {kind} file", "check that the file is complete")


def test_compressed_files_in_a_corpus_folder(work, tmp_path):
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    for d in (plain, packed):
        (d / "a.txt").write_text(TEXT)
    (plain / "b.txt").write_text(TEXT.upper())
    (packed / "b.txt.xz").write_bytes(lzma.compress(TEXT.upper().encode()))
    a = run_tok("--json", "metrics", str(work / "t.json"), "--corpus", str(plain))
    b = run_tok("--json", "metrics", str(work / "t.json"), "--corpus", str(packed))
    assert a.code == 0 and b.code == 0, b.err
    ca, cb = a.json()["corpus"], b.json()["corpus"]
    assert (cb["segments"], cb["characters"], cb["bytes"]) == (ca["segments"], ca["characters"], ca["bytes"])
    assert cb["segments"] == 2 * TEXT.count("\n")


def test_read_user_text_decompresses_by_name(tmp_path):
    from tokforensics.corpus.textio import read_user_text
    from tokforensics.errors import InputError

    p = tmp_path / "x.txt.xz"
    p.write_bytes(lzma.compress("çay\n".encode()))
    assert read_user_text(p, decompress=True) == "çay\n"
    with pytest.raises(InputError, match="not UTF-8"):  # without `decompress` the bytes are read as they are
        read_user_text(p)
    p.write_bytes(b"not xz at all")
    with pytest.raises(InputError, match="corrupt or truncated xz file"):
        read_user_text(p, "corpus", decompress=True)


# ---------------------------------------------------------------------------------------------- 5. help under --json
def _proc(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "tokforensics.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)


@pytest.mark.parametrize("group", ["bytes", "experiment"])
def test_group_without_subcommand_under_json_keeps_stdout_empty(group):
    p = _proc("--json", group)
    assert p.returncode == 2
    assert p.stdout == ""
    assert f"tok {group}" in p.stderr and "Commands" in p.stderr
    plain = _proc(group)  # without --json the help stays where a person reads it
    assert plain.returncode == 2 and "Commands" in plain.stdout


def test_help_under_json_goes_to_stderr():
    p = _proc("--json", "encode", "--help")
    assert p.returncode == 0 and p.stdout == "" and "Usage" in p.stderr


# ---------------------------------------------------------------------------------------------- 6. experiment knobs
@pytest.mark.parametrize("args,message", [
    (("--merges", "0"), "--merges 0: must be at least 1"),
    (("--train-bytes", "10"), "--train-bytes 10: must be at least 10,000"),
    (("--train-bytes", "0"), "--train-bytes 0: must be at least 10,000"),
])
def test_experiment_knobs_name_the_option(args, message):
    run = run_tok("-q", "experiment", "mixture", *args)
    _one_error_line(run, message)
    assert "RuntimeWarning" not in run.err


def test_experiment_library_checks_knobs_before_reading_data():
    from tokforensics.mixture.experiment import run_experiment

    for kw, flag in ((dict(merges=0), "--merges"), (dict(train_bytes=10), "--train-bytes"),
                     (dict(trials=0), "--trials")):
        with pytest.raises(UsageError, match=flag):
            run_experiment("languages", pack="no-such-pack", **kw)  # the pack would fail later, if reached


def test_a_tokenizer_that_learned_no_merges_names_train_bytes(monkeypatch):
    from types import SimpleNamespace

    from tokenizers import Tokenizer, models, pre_tokenizers

    from tokforensics.mixture import experiment

    def no_merges(parts, merges, path):
        tk = Tokenizer(models.BPE(vocab={chr(c): c for c in range(ord("a"), ord("z") + 1)}, merges=[]))
        tk.pre_tokenizer = pre_tokenizers.Whitespace()
        tk.save(path)

    monkeypatch.setattr(experiment, "_train_bpe", no_merges)
    cats = [SimpleNamespace(name=n, group="code", text="abc def\n" * 3000) for n in ("x", "y")]
    with pytest.raises(UsageError, match="--train-bytes 10,000: .* taught the tokenizer no merges"):
        experiment.run_experiment("code", n=2, trials=1, merges=5, train_bytes=10_000, categories=cats)


# ---------------------------------------------------------------------------------------------- 7. did you mean
def test_closest_names():
    assert closest("defualt", ["default", "synthetic", "v1"]) == ["default"]
    assert did_you_mean("papr", ["default", "paper", "tiny"]) == " Did you mean paper?"
    assert did_you_mean("zzzz", ["smollm2"]) == ""


@pytest.mark.parametrize("args,suggestion", [
    (("infer-mixture", "{t}", "--categories", "defualt"), "did you mean default?"),
    (("experiment", "mixture", "--domain", "langauges"), "did you mean languages?"),
    (("arith", "study", "--preset", "papr"), "did you mean paper?"),
    (("arith", "study", "--preset", "tiny", "--schemes", "singel"), "did you mean single?"),
    (("infer-mixture", "{t}", "--categories", "{cats}", "--estimator", "obsrved"), "did you mean observed?"),
    (("encode", "gtp4", "hi"), "did you mean gpt4"),  # the tokenizer names' suggestion, now the shared helper
])
def test_unknown_names_suggest_the_closest(work, args, suggestion):
    argv = [a.format(t=work / "t.json", cats=work / "cats") for a in args]
    _one_error_line(run_tok("-q", *argv), suggestion)


def test_unknown_model_name_suggests_smollm2(work):
    pytest.importorskip("torch", reason="loading a model needs torch")
    _one_error_line(run_tok("-q", "arith", str(work / "t.json"), "--model", "smolm2"), "did you mean smollm2?")


# ---------------------------------------------------------------------------------------------- 8. progress display
@pytest.mark.parametrize("args", [
    ("infer-mixture", "{wl}", "--categories", "{cats}"),  # the mixture bars (found mid-run)
    ("infer-mixture", "{t}", "--categories", "defualt"),
    ("arith", "{cats}/nope.json"),  # the shared progress bar
])
def test_without_quiet_the_error_is_the_only_line(work, args):
    """stderr is not a terminal here (a StringIO), as in a pipe: rich's progress display must leave nothing."""
    argv = [a.format(t=work / "t.json", wl=work / "wl.json", cats=work / "cats") for a in args]
    _one_error_line(run_tok(*argv))


def test_json_help_is_not_the_result(work):
    """--json output is still one document after the help wrapper (parse_args) sits on every command."""
    run = run_tok("--json", "encode", str(work / "t.json"), "hello")
    assert run.code == 0 and json.loads(run.out)["n_tokens"] >= 1
