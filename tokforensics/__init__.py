"""tokforensics: tokenizer analysis and forensics."""

__version__ = "0.1.0"
