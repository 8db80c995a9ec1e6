"""Rows longer than the encoder reads: it decides them from their beginning, which the user should know."""

from __future__ import annotations

from collections.abc import Sequence

# About three words for every four tokens, in English prose.
WORDS_PER_TOKEN = 0.75


def partly_read_notes(encoder, texts: Sequence[str]) -> list[str]:
    """A note for the job when some of its first rows are cut to the model's window, none when none is."""
    cut = encoder.read_partly(texts) if texts else 0
    return [_partly_read(cut, len(texts), encoder.manifest.max_length)] if cut else []


def _partly_read(cut: int, rows: int, limit: int) -> str:
    one = cut == 1
    return (f"{cut:,} of the first {rows:,} rows {'is' if one else 'are'} longer than the model reads "
            f"({limit:,} tokens, about {round(limit * WORDS_PER_TOKEN):,} words): it decides {'it' if one else 'them'} "
            f"from {'its' if one else 'their'} beginning only. Put the column that says most first among the text "
            "columns, or choose a model that reads more.")
