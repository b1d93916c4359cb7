"""Numbers and arithmetic: how tokenizers split numbers, and how that changes a model's addition.

    probe.py      number schemes from behaviour, number-token inventory, chunk patterns, separators
    model.py      prompted addition (Singh & Strouse 2024 protocol) with any LanguageModel
    anatomy.py    error anatomy: digit positions, off by one, carries, dropped / extra digits
    numbers.py    digit strings, separator formats, option and answer parsing
    synthetic.py  tiny tokenizers with a known scheme (validation)
"""

from .anatomy import ErrorAnatomy, classify, summarize
from .model import ModelProbeResult, SettingResult, make_problems, probe_model, prompt_format
from .probe import ArithProbeResult, NumberProbe, classify_scheme, probe_many, probe_tokenizer

__all__ = [
    "ArithProbeResult", "ErrorAnatomy", "ModelProbeResult", "NumberProbe", "SettingResult", "classify",
    "classify_scheme", "make_problems", "probe_many", "probe_model", "probe_tokenizer", "prompt_format", "summarize",
]
