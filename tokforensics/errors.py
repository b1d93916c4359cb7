"""Errors the CLI turns into one clear line and exit code 2."""


class TokError(Exception):
    """Base class: the message is one line that says what is wrong and how to fix it."""


class UsageError(TokError):
    """An impossible option or combination of options."""


class InputError(TokError):
    """A missing, corrupt, empty or unsupported input (file, tokenizer, corpus, name)."""
