"""The thin language-model layer: one interface over Hugging Face transformers models (local folder or GGUF).

torch and transformers are an optional extra; importing this package without them raises one clear
`InputError` that says how to install them.
"""

from __future__ import annotations

from ..errors import InputError

INSTALL_HINT = "pip install 'tokforensics[lm]' torch==2.13.0"


class MissingLMDependency(InputError, ModuleNotFoundError):
    """torch or transformers is not installed (an InputError for the CLI, an ImportError for importorskip)."""


def _require_torch() -> None:
    missing = []
    for mod in ("torch", "transformers"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        raise MissingLMDependency(
            f"language-model features need {' and '.join(missing)}, which is not installed: {INSTALL_HINT} "
            f"(torch==2.13.0 picks the CPU build; use your CUDA build of torch on a GPU machine)"
        )


_require_torch()

from .adapter import LanguageModel, load_model, tiny_random_model  # noqa: E402

__all__ = ["LanguageModel", "load_model", "tiny_random_model", "INSTALL_HINT", "MissingLMDependency"]
