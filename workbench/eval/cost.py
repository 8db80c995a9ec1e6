"""What 1,000 rows cost: on this machine (its price per hour and the model's speed) and through a hosted API (a
price per million tokens the user types in, and the tokens the rows would need)."""

from __future__ import annotations

from dataclasses import dataclass

# Hosted models count tokens their own way; about four characters of English text make one token.
CHARS_PER_TOKEN = 4
ROWS = 1000


@dataclass(frozen=True)
class Prices:
    api_input_per_million: float  # the API's price of a million prompt tokens
    api_output_per_million: float  # ... and of a million answer tokens
    machine_per_hour: float  # what running this machine costs an hour (a cloud VM's price, or its power)


# A price typed above this is a slip of the keyboard (a million dollars a million tokens, or an hour).
MAX_PRICE = 1_000_000.0

# What a small hosted model charged per million tokens in 2026 (prompt, answer), and a 2-core cloud machine an hour.
DEFAULT_PRICES = Prices(api_input_per_million=0.15, api_output_per_million=0.60, machine_per_hour=0.05)


def tokens(characters: float) -> float:
    return characters / CHARS_PER_TOKEN


def local_cost(rows_per_second: float, prices: Prices) -> float | None:
    """Cost of 1,000 rows here: the machine's time they take."""
    if rows_per_second <= 0:
        return None
    return ROWS / rows_per_second / 3600 * prices.machine_per_hour


def api_cost(prompt_chars_per_row: float, answer_chars_per_row: float, prices: Prices) -> float:
    """Cost of 1,000 rows sent to the API one by one, each prompt carrying the template's instructions."""
    per_row = (tokens(prompt_chars_per_row) * prices.api_input_per_million
               + tokens(answer_chars_per_row) * prices.api_output_per_million) / 1e6
    return per_row * ROWS
