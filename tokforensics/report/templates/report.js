/* tokforensics report: sortable tables and the token viewer. No network, no external code. */
"use strict";

/* ------------------------------------------------------------------ sortable tables */
function makeSortable(table) {
  const heads = table.querySelectorAll("thead th");
  heads.forEach((th, col) => {
    th.tabIndex = 0;
    th.setAttribute("role", "button");
    th.title = "Sort by this column";
    const sort = () => {
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      const key = (row) => {
        const cell = row.cells[col];
        const v = cell ? cell.getAttribute("data-v") : null;
        if (v === null || v === "") return null;
        const num = Number(v);
        return Number.isNaN(num) ? v : num;
      };
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === null && y === null) return 0;
        if (x === null) return 1; /* missing values last either way */
        if (y === null) return -1;
        const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach((r) => body.appendChild(r));
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
}

/* ------------------------------------------------------------------ bytes and pieces */
const utf8 = new TextEncoder();

function latin1(bytes, start, end) {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/* Python's bytes.decode("utf-8", "backslashreplace"): whole characters as text, stray bytes as \xNN. */
function displayBytes(b) {
  let out = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = c < 0x80 ? 1 : (c >> 5) === 6 ? 2 : (c >> 4) === 14 ? 3 : (c >> 3) === 30 ? 4 : 0;
    let ok = n > 0 && i + n <= b.length;
    for (let k = 1; ok && k < n; k++) ok = (b[i + k] & 0xc0) === 0x80;
    if (ok && n > 1) {
      let cp = n === 2 ? c & 0x1f : n === 3 ? c & 0x0f : c & 0x07;
      for (let k = 1; k < n; k++) cp = (cp << 6) | (b[i + k] & 0x3f);
      const min = n === 2 ? 0x80 : n === 3 ? 0x800 : 0x10000;
      ok = cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
      if (ok) { out += String.fromCodePoint(cp); i += n; continue; }
    } else if (ok) { out += String.fromCharCode(c); i += 1; continue; }
    out += "\\x" + c.toString(16).padStart(2, "0");
    i += 1;
  }
  return out;
}

/* ------------------------------------------------------------------ in-page BPE (tiktoken algorithm) */
async function gunzipBase64(b64) {
  const raw = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

class RankBPE {
  constructor(data, bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = view.getUint32(0, true);
    this.tokens = new Array(n);
    this.ranks = new Map();
    let off = 4 + 2 * n;
    for (let id = 0; id < n; id++) {
      const len = view.getUint16(4 + 2 * id, true);
      if (len > 0) {
        const tb = bytes.subarray(off, off + len);
        this.tokens[id] = tb;
        this.ranks.set(latin1(tb, 0, len), id);
      }
      off += len;
    }
    this.specials = new Map(Object.entries(data.specials));
    for (const [s, id] of this.specials) this.tokens[id] = utf8.encode(s);
    this.pattern = new RegExp(data.pattern, "gu");
    this.nfc = data.nfc;
    const names = Array.from(this.specials.keys()).sort((a, b) => b.length - a.length);
    const esc = (s) => s.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
    this.specialRe = names.length ? new RegExp(names.map(esc).join("|"), "gu") : null;
  }

  /* tiktoken's byte_pair_merge: repeatedly merge the adjacent pair whose bytes have the lowest rank. */
  mergePiece(b) {
    const whole = this.ranks.get(latin1(b, 0, b.length));
    if (whole !== undefined) return [whole];
    const ranks = this.ranks;
    const bounds = [];
    for (let i = 0; i <= b.length; i++) bounds.push(i);
    const rankAt = (i) => (i + 2 < bounds.length ? ranks.get(latin1(b, bounds[i], bounds[i + 2])) : undefined);
    const pr = [];
    for (let i = 0; i < bounds.length - 1; i++) pr.push(rankAt(i));
    for (;;) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i < pr.length - 1; i++) {
        const r = pr[i];
        if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
      }
      if (best < 0) break;
      bounds.splice(best + 1, 1);
      pr.splice(best + 1, 1);
      pr[best] = rankAt(best);
      if (best > 0) pr[best - 1] = rankAt(best - 1);
    }
    const out = [];
    for (let i = 0; i + 1 < bounds.length; i++) out.push(ranks.get(latin1(b, bounds[i], bounds[i + 1])));
    return out;
  }

  encodeOrdinary(text, out) {
    for (const m of text.matchAll(this.pattern)) {
      if (m[0].length === 0) continue;
      const ids = this.mergePiece(utf8.encode(m[0]));
      for (const id of ids) out.push(id);
    }
  }

  encode(text) {
    if (this.nfc) text = text.normalize("NFC");
    const out = [];
    if (!this.specialRe) { this.encodeOrdinary(text, out); return out; }
    let last = 0;
    for (const m of text.matchAll(this.specialRe)) {
      this.encodeOrdinary(text.slice(last, m.index), out);
      out.push(this.specials.get(m[0]));
      last = m.index + m[0].length;
    }
    this.encodeOrdinary(text.slice(last), out);
    return out;
  }

  pieces(ids) { return ids.map((id) => [id, this.tokens[id] ? displayBytes(this.tokens[id]) : "<?>"]); }
}

/* ------------------------------------------------------------------ viewer */
function viewerData() {
  const el = document.getElementById("viewer-data");
  return el ? JSON.parse(el.textContent) : null;
}

function showPiece(p) {
  return p.replace(/\r\n/g, "␍↵\n").replace(/\n/g, "↵\n").replace(/\r/g, "␍").replace(/\t/g, "→\t");
}

function renderTokens(container, pieces) {
  container.textContent = "";
  pieces.forEach(([id, piece], k) => {
    const span = document.createElement("span");
    span.className = "tk c" + (k % 6) + (piece.includes("\\x") ? " partial" : "");
    span.textContent = showPiece(piece);
    span.title = "id " + id + " · " + JSON.stringify(piece);
    container.appendChild(span);
  });
}

function setupViewer() {
  const data = viewerData();
  const root = document.getElementById("viewer");
  if (!data || !root) return;
  const select = root.querySelector("#viewer-example");
  const input = root.querySelector("#viewer-text");
  const grid = root.querySelector("#viewer-grid");
  const status = root.querySelector("#viewer-status");
  const encoders = {};
  const state = {}; /* name -> "live" | "precomputed" | "checking" */

  const panels = {};
  data.tokenizers.forEach((t) => {
    const panel = document.createElement("section");
    panel.className = "vpanel";
    panel.innerHTML = '<header><strong></strong> <span class="badge"></span><span class="count"></span></header><div class="tokens"></div>';
    panel.querySelector("strong").textContent = t.name;
    grid.appendChild(panel);
    panels[t.name] = panel;
    state[t.name] = t.live ? "checking" : "precomputed";
  });

  const badge = (name) => {
    const t = data.tokenizers.find((x) => x.name === name);
    const b = panels[name].querySelector(".badge");
    const s = state[name];
    panels[name].dataset.state = s;
    b.className = "badge " + s;
    if (s === "live") {
      b.textContent = "live";
      b.title = "Encoded in this page by a reproduction of the tokenizer's BPE; it matched the real tokenizer on all "
        + data.examples.length + " precomputed examples when the page opened.";
    } else if (s === "checking") {
      b.textContent = "checking…";
      b.title = "Verifying the in-page encoder against the precomputed examples.";
    } else {
      b.textContent = "precomputed only";
      b.title = t.reason || "";
    }
  };

  const show = (text, exampleIndex) => {
    const ex = exampleIndex >= 0 ? data.examples[exampleIndex] : null;
    let precomputedOnly = 0;
    data.tokenizers.forEach((t) => {
      const panel = panels[t.name];
      const box = panel.querySelector(".tokens");
      const count = panel.querySelector(".count");
      badge(t.name);
      let pieces = null;
      if (ex) pieces = ex.tokens[t.name];
      else if (state[t.name] === "live") pieces = encoders[t.name].pieces(encoders[t.name].encode(text));
      if (pieces) {
        renderTokens(box, pieces);
        const chars = Array.from(text).length;
        count.textContent = " " + pieces.length + " tokens · " + (chars / Math.max(1, pieces.length)).toFixed(2) + " chars/token";
        panel.classList.remove("unavailable");
      } else {
        precomputedOnly += 1;
        box.textContent = state[t.name] === "checking"
          ? "Checking the in-page encoder…"
          : "Not shown: this tokenizer cannot run in the page (" + (t.reason || "no in-page encoder")
            + "). Pick a precomputed example, or run: tok encode " + t.name + " \"…\"";
        count.textContent = "";
        panel.classList.add("unavailable");
      }
    });
    status.textContent = ex
      ? "Precomputed example '" + ex.label + "': tokenized by the real tokenizers when this report was made."
      : "Your text: " + (data.tokenizers.length - precomputedOnly) + " of " + data.tokenizers.length
        + " tokenizers encode it in this page; the others show only precomputed examples.";
  };

  data.examples.forEach((ex, i) => {
    const opt = document.createElement("option");
    opt.value = String(i);
    opt.textContent = ex.label;
    select.appendChild(opt);
  });
  const custom = document.createElement("option");
  custom.value = "-1";
  custom.textContent = "(your own text)";
  select.appendChild(custom);

  const current = () => {
    const i = Number(select.value);
    if (i >= 0 && input.value === data.examples[i].text) return [input.value, i];
    const match = data.examples.findIndex((e) => e.text === input.value);
    if (match >= 0) { select.value = String(match); return [input.value, match]; }
    select.value = "-1";
    return [input.value, -1];
  };
  select.addEventListener("change", () => {
    const i = Number(select.value);
    if (i >= 0) input.value = data.examples[i].text;
    show(...current());
  });
  input.addEventListener("input", () => show(...current()));

  if (data.examples.length) {
    select.value = "0";
    input.value = data.examples[0].text;
  }
  show(...current());

  /* build and verify the in-page encoders */
  data.tokenizers.forEach(async (t) => {
    if (!t.live) return;
    try {
      const enc = new RankBPE(t.live, await gunzipBase64(t.live.vocab));
      let bad = 0;
      data.examples.forEach((ex) => {
        const want = ex.tokens[t.name].map((p) => p[0]);
        const got = enc.encode(ex.text);
        if (got.length !== want.length || got.some((v, k) => v !== want[k])) bad += 1;
      });
      if (bad === 0) {
        encoders[t.name] = enc;
        state[t.name] = "live";
      } else {
        state[t.name] = "precomputed";
        t.reason = "the in-page encoder disagreed with the real tokenizer on " + bad + " of " + data.examples.length
          + " examples, so it is not used";
      }
    } catch (err) {
      state[t.name] = "precomputed";
      t.reason = "the in-page encoder could not start in this browser (" + err.name + ")";
    }
    if (data.tokenizers.every((x) => state[x.name] !== "checking")) root.dataset.ready = "1";
    show(...current());
  });
  if (data.tokenizers.every((x) => !x.live)) root.dataset.ready = "1";
}

/* print: open every <details> so its content is on paper too */
window.addEventListener("beforeprint", () => document.querySelectorAll("details").forEach((d) => { d.open = true; }));

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(makeSortable);
  setupViewer();
  document.body.dataset.scripted = "1";
});
