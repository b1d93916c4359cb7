"""The report in a real browser: headless Chromium driven over the DevTools protocol.

Asserts no console errors, no exceptions and no network requests (the page's own file:// load aside),
that every section is present, that the token viewer's in-page encoders verify against the precomputed
examples and tokenize pasted text, and saves a screenshot and a PDF under test-artifacts/.
Skips, with the reason, only when no Chromium is installed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def _chromium() -> str | None:
    for name in (os.environ.get("TOK_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (Debian: apt-get install -y chromium)")
websocket = pytest.importorskip("websocket", reason="websocket-client is not installed (pip install websocket-client)")


class Browser:
    """A minimal DevTools-protocol client: one headless Chromium, one page, events recorded."""

    def __init__(self, width: int = 1366, height: int = 900):
        self.profile = tempfile.mkdtemp(prefix="tok-chromium-")
        args = [CHROMIUM, "--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--mute-audio", "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        # stderr goes to a file, never a pipe nobody drains (a full pipe would stall the browser)
        self.log = open(Path(self.profile) / "stderr.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        port_file = Path(self.profile) / "DevToolsActivePort"
        url = None
        deadline = time.time() + 30
        while time.time() < deadline and self.proc.poll() is None:
            try:
                port, path = port_file.read_text().split("\n")[:2]
                url = f"ws://127.0.0.1:{int(port)}{path}"
                break
            except (OSError, ValueError):
                time.sleep(0.05)
        if url is None:
            self.close()
            raise RuntimeError("Chromium did not start its DevTools endpoint")
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=True)

    def send(self, method: str, session: bool = False, **params) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def call(self, method: str, **params) -> dict:
        return self.send(method, session=True, **params)

    def evaluate(self, expr: str, await_promise: bool = False):
        res = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expr}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expr: str, timeout: float = 30.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expr)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(expr)

    def open(self, path: Path) -> None:
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("document.readyState === 'complete'")

    # ------------------------------------------------------------------ what the page did
    def console_errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.error: " + json.dumps(p.get("args", []))[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", "")[:300])
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    from tokforensics.corpus.probes import Probe
    from tokforensics.report.collect import collect_report
    from tokforensics.report.html import write_report
    from tokforensics.tokenizer.view import load_tokenizer

    toks = [load_tokenizer(n) for n in ("gpt2", "gpt4", "mistral")]
    data = collect_report(toks, extra_texts=[Probe("text/1", "Hello <|endoftext|> world\u00a0\ufeff!")],
                          languages=["deu", "tur", "rus", "hin", "cmn", "mya"])
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(path, data)
    return path


def test_driver_sees_errors_and_requests(browser, tmp_path):
    """The checks below mean something: a page that logs an error and fetches a URL is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><img src="http://tokforensics.invalid/x.png"><script>console.error("boom")</script>')
    browser.events.clear()
    browser.open(page)
    time.sleep(0.3)
    assert any("boom" in e for e in browser.console_errors())
    assert any(u.startswith("http://tokforensics.invalid/") for u in browser.requests())


def test_report_renders_offline_without_errors(browser, report_file):
    browser.events.clear()
    browser.open(report_file)
    browser.wait_for("document.getElementById('viewer').dataset.ready === '1'")
    sections = browser.evaluate("Array.from(document.querySelectorAll('main > section')).map(s => s.id)")
    for sid in ("overview", "vocabulary", "premiums", "numbers", "reachability", "viewer"):
        assert sid in sections
    assert browser.evaluate("document.body.dataset.scripted") == "1"
    assert browser.evaluate("document.querySelectorAll('#overview-table tbody tr').length") == 3
    states = browser.evaluate("Object.fromEntries(Array.from(document.querySelectorAll('.vpanel')).map("
                              "p => [p.querySelector('strong').textContent, p.dataset.state]))")
    assert states == {"gpt2": "live", "gpt4": "live", "mistral": "precomputed"}

    # paste free text: live tokenizers encode it in the page, the SentencePiece one says it cannot
    from tokforensics.tokenizer.view import load_tokenizer

    text = "Tokenizers disagree: 12345678 + ½ = 🤖‍👍 naïve café\n\tdone"
    browser.evaluate(f"(() => {{ const t = document.getElementById('viewer-text'); t.value = {json.dumps(text)};"
                     " t.dispatchEvent(new Event('input')); })()")
    shown = browser.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('.vpanel')).map(p => [p.querySelector('strong')"
        ".textContent, Array.from(p.querySelectorAll('.tk')).map(s => Number(s.title.split(' ')[1]))]))")
    for name in ("gpt2", "gpt4"):
        assert shown[name] == load_tokenizer(name).encode(text), name
    assert shown["mistral"] == []
    assert "cannot run in the page" in browser.evaluate(
        "Array.from(document.querySelectorAll('.vpanel')).find(p => p.querySelector('strong').textContent"
        " === 'mistral').textContent")

    # sorting the premium table (when it has data) keeps every row
    if browser.evaluate("!!document.querySelector('#premium-table')"):
        n = browser.evaluate("document.querySelectorAll('#premium-table tbody tr').length")
        browser.evaluate("document.querySelectorAll('#premium-table thead th')[2].click()")
        assert browser.evaluate("document.querySelectorAll('#premium-table tbody tr').length") == n

    assert browser.console_errors() == []
    own = report_file.resolve().as_uri()
    assert [u for u in browser.requests() if u != own] == []

    ARTIFACTS.mkdir(exist_ok=True)
    browser.evaluate("document.getElementById('viewer-example').value = '0';"
                     "document.getElementById('viewer-example').dispatchEvent(new Event('change'))")
    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    (ARTIFACTS / "report.png").write_bytes(base64.b64decode(shot["data"]))
    pdf = browser.call("Page.printToPDF", printBackground=True, preferCSSPageSize=True)
    (ARTIFACTS / "report.pdf").write_bytes(base64.b64decode(pdf["data"]))
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    assert browser.console_errors() == []
