"""Tokenizer quality metrics: vocabulary (vocab.py), corpus efficiency and round trip (corpus.py),
lexicon validity and purity (lexicon.py), premiums across languages (premium.py); run.py puts them
together for `tok metrics` and `tok compare`. See docs/metrics.md."""
