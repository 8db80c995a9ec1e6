"""extract's settings: the fields, one per line `name (type): description`, choices with their options; and optional
examples, one row per example text with the values it holds."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import streamlit as st

from workbench.tasks.fields import FieldSpec, FieldType, reviewed_value

TYPES = list(FieldType.__args__)
NAMES_HELP = ("A `names` field lists the names of one kind that the text mentions: `person (names): names of people`, "
              "`place (names): places, cities, countries`, `company (names): companies and brands`, `product (names): "
              "products, devices, apps`. They are found "
              "among the text's capitalised words by their meaning, never written by the model, and each name goes to "
              "the names field nearest to it. So describe a kind of name (person, place, company, product), not a "
              "role such as customer or agent, which a name alone does not tell; list every kind you want kept apart; "
              "examples' names help. A one-word name that starts a sentence counts only if the text also capitalises "
              "it elsewhere. A `list` field asks the generator instead.")
LINE = re.compile(r"^\s*([^():]+?)\s*(?:\(([^)]*)\))?\s*(?::\s*(.*))?$")
EXAMPLE_TEXT = "Example text"
# The table the examples editor starts from, with the field names it was made for (prefill.py opens a template's
# examples into it); the editor's last rows, carried over when the fields change.
EXAMPLES_BASE, EXAMPLES_LAST = "extract-examples-base", "extract-examples-last"
LIST_TYPES = ("list", "names")


def settings_form(frame: pd.DataFrame, text_columns: list[str]) -> dict:
    lines = st.text_area(f"Fields, one per line: `name (type): description`. Types: {', '.join(TYPES)}; a choice "
                         "lists its options: `priority (choice: low, normal, high)`", height=150, help=NAMES_HELP,
                         placeholder="customer_name (text): who wrote the email\namount (money): the amount charged\n"
                                     "order_date (date)\npriority (choice: low, normal, high)\n"
                                     "company (names): companies and brands", key="field-lines")
    fields = parse_field_lines(lines)
    examples = examples_editor(fields) if fields else []
    return {"fields": fields, **({"examples": examples} if examples else {})}


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


def examples_editor(fields: list[dict]) -> list[dict]:
    """A table of example texts and their values: the generator sees them in its prompt, names fields compare names
    with the examples' names. Rows typed in stay when the fields are changed (a new field gets an empty column)."""
    names = [n for n in dict.fromkeys(f["name"] for f in fields) if n != EXAMPLE_TEXT]
    base = _editor_base(names)
    key = f"extract-examples-{_digest(base)}"
    with st.expander(f"Examples (optional): {_count(base, st.session_state.get(key))}", expanded=not base.empty):
        st.caption("One row per example: a short text like your rows, and each field's value as the text writes it "
                   "(left empty where the text has none). Several items of a list or names field: separate them "
                   "with `;`.")
        edited = st.data_editor(base, num_rows="dynamic", hide_index=True, width="stretch",
                                key=key,
                                column_config={c: st.column_config.TextColumn(c, default="") for c in base.columns})
    st.session_state[EXAMPLES_LAST] = edited
    examples, problems = examples_from_rows(edited.to_dict("records"), fields)
    for problem in problems:
        st.warning(problem)
    return examples


def _editor_base(names: list[str]) -> pd.DataFrame:
    """The table to start from: the one made for these fields, or, once the fields changed, the rows typed so far
    under the new fields. A removed field's values are kept aside and come back if the field does (a line deleted
    by mistake in the Fields box)."""
    stored = st.session_state.get(EXAMPLES_BASE)
    if stored and stored[0] == names:
        return stored[1]
    previous = st.session_state.get(EXAMPLES_LAST, stored[1] if stored else None)
    rows = [] if previous is None else previous.to_dict("records")
    aside = (stored[2] if stored else [])[:len(rows)]
    rows = [{**kept, **row} for row, kept in zip(rows, aside + [{}] * (len(rows) - len(aside)), strict=True)]
    base = example_table(rows, names)
    st.session_state[EXAMPLES_BASE] = (names, base, [_aside(row, names) for row in rows])
    return base


def _aside(row: dict, names: list[str]) -> dict:
    return {column: value for column, value in row.items() if column not in (EXAMPLE_TEXT, *names) and _cell(value)}


def _digest(table: pd.DataFrame) -> str:
    """The editor's key: a new table to start from (other fields, a template opened) is a new editor, without the
    rows typed into the one before (those are in the new table already)."""
    return hashlib.sha256(table.to_json(orient="split").encode()).hexdigest()[:16]


def _count(table: pd.DataFrame, edits: dict | None) -> str:
    """How many examples the table holds, the edits of the last run included (the title is drawn before the table)."""
    rows = len(table) + len((edits or {}).get("added_rows", [])) - len((edits or {}).get("deleted_rows", []))
    return f"{rows} so far" if rows else "a text and the values it holds"


def example_table(rows: list[dict], names: list[str]) -> pd.DataFrame:
    """The editor's table: the example text, then a column per field, every cell text."""
    columns = [EXAMPLE_TEXT, *names]
    return pd.DataFrame([{c: _cell(row.get(c)) for c in columns} for row in rows], columns=columns).astype(str)


def _cell(value) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def examples_from_rows(rows: list[dict], fields: list[dict]) -> tuple[list[dict], list[str]]:
    """Task-file examples from the editor's rows, and what is wrong with any of them (that value is left out)."""
    examples, problems = [], []
    for number, row in enumerate(rows, start=1):
        text = _cell(row.get(EXAMPLE_TEXT)).strip()
        values = {}
        for field in fields:
            try:
                value = example_value(field, _cell(row.get(field["name"])))
            except ValueError as mistake:
                problems.append(f"Example {number}, {field['name']}: {mistake}; that value is left out.")
                continue
            if value not in (None, "", []):
                values[field["name"]] = value
        if text:
            examples.append({"text": text, "values": values})
        elif values:
            problems.append(f"Example {number} has values but no text: it is left out.")
    return examples, problems


def example_value(field: dict, cell: str):
    """A typed cell as the template holds it: items of a list or names field as a list, a number as a number, other
    values as written (an example's amount or date as its text writes it)."""
    cell = cell.strip()
    if field.get("type") in LIST_TYPES:
        return [item.strip() for item in cell.split(";") if item.strip()]
    if field.get("type") == "number" and cell:
        return reviewed_value(FieldSpec(name=field["name"], type="number"), cell)
    return cell
