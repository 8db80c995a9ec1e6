"""extract's settings: the fields, one per line `name (type): description`, choices with their options."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from workbench.tasks.fields import FieldType

TYPES = list(FieldType.__args__)
NAMES_HELP = ("A `names` field lists the names the text mentions that fit it: `people (names): customers and staff`, "
              "`company (names): shops, banks, couriers`. They are found among the text's capitalised words by their "
              "meaning, never written by the model; each name goes to the names field it is nearest to, so list every "
              "kind of name you want kept apart. Examples' names help. A `list` field asks the generator instead.")
LINE = re.compile(r"^\s*([^():]+?)\s*(?:\(([^)]*)\))?\s*(?::\s*(.*))?$")


def settings_form(frame: pd.DataFrame, text_columns: list[str]) -> dict:
    lines = st.text_area(f"Fields, one per line: `name (type): description`. Types: {', '.join(TYPES)}; a choice "
                         "lists its options: `priority (choice: low, normal, high)`", height=150, help=NAMES_HELP,
                         placeholder="customer_name (text): who wrote the email\namount (money): the amount charged\n"
                                     "order_date (date)\npriority (choice: low, normal, high)", key="field-lines")
    return {"fields": parse_field_lines(lines)}


def parse_field_lines(text: str) -> list[dict]:
    """Fields from lines like `amount (money): the amount charged`; a line without a type is text."""
    fields = []
    for match in filter(None, (LINE.match(line) for line in text.splitlines() if line.strip())):
        name, kind, description = match.group(1), (match.group(2) or "text").strip(), (match.group(3) or "").strip()
        kind, _, options = kind.partition(":")
        field = {"name": name, "type": kind.strip().lower(), "description": description}
        if options.strip():
            field["options"] = [o.strip() for o in options.split(",") if o.strip()]
        fields.append(field)
    return fields
