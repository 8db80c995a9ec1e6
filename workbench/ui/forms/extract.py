"""extract's settings: the fields, one per line `name (type): description`, choices with their options; and optional
examples, one row per example text with the values it holds."""

from __future__ import annotations

import csv
import hashlib
import re

import pandas as pd
import streamlit as st

from workbench.tasks.fields import LIST_TYPES, FieldSpec, FieldType, reviewed_value

TYPES = list(FieldType.__args__)
NAMES_HELP = ("A `names` field lists the names of one kind that the text mentions: `person (names): names of people`, "
              "`place (names): places, cities, countries`, `company (names): companies and brands`, `product (names): "
              "products, devices, apps`. They are found "
              "among the text's capitalised words by their meaning, never written by the model, and each name goes to "
              "the names field nearest to it. So describe a kind of name (person, place, company, product), not a "
              "role such as customer or agent, which a name alone does not tell; list every kind you want kept apart; "
              "examples' names help. A one-word name that starts a sentence counts only if the text also capitalises "
              "it elsewhere. A `list` field asks the generator instead. A `choice` field sorts every row into one of "
              "its options, as classify does, also a row that says nothing about it: use it for what every row has (a "
              "topic, a priority), and a `text` field for a value the text may not give (a payment method).")
# `name (type): description`; a name holding brackets or a colon is written in quotes ("n (count)" (number)).
LINE = re.compile(r'^\s*(?:"([^"]+)"|([^():"]+?))\s*(?:\(((?:[^()"]|"[^"]*")*)\))?\s*(?::\s*(.*))?$')
EXAMPLE_TEXT = "Example text"
# The table the examples editor starts from, with the field names it was made for (prefill.py opens a template's
# examples into it); the editor's rows as last seen, carried over when the fields change.
EXAMPLES_BASE, EXAMPLES_LAST = "extract-examples-base", "extract-examples-last"


def settings_form(frame: pd.DataFrame, text_columns: list[str]) -> dict:
    lines = st.text_area(f"Fields, one per line: `name (type): description`. Types: {', '.join(TYPES)}; a choice "
                         "lists its options: `priority (choice: low, normal, high)`", height=150, help=NAMES_HELP,
                         placeholder="customer_name (text): who wrote the email\namount (money): the amount charged\n"
                                     "order_date (date)\npriority (choice: low, normal, high)\n"
                                     "company (names): companies and brands", persist_state="session", key="field-lines")
    fields = parse_field_lines(lines)
    day_first = _day_first(fields)
    examples = examples_editor(fields) if fields else []
    return {"fields": fields, **({"examples": examples} if examples else {}), **({"day_first": True} if day_first else {})}


def _day_first(fields: list[dict]) -> bool:
    """Asked where there is a date field: 03/04/2024 is 4 March in the United States, 3 April in most other places."""
    if not any(f["type"] == "date" for f in fields):
        return False
    return st.checkbox("Dates such as 03/04/2024 mean 3 April (day first)", persist_state="session", key="day-first",
                       help="Leave it off where they mean 4 March (month first, as in the United States). Dates with "
                            "dots (03.04.2024) are read day first, and 2024-04-03 year first, either way.")


def parse_field_lines(text: str) -> list[dict]:
    """Fields from lines like `amount (money): the amount charged`; a line without a type is text."""
    fields = []
    for match in filter(None, (LINE.match(line) for line in text.splitlines() if line.strip())):
        name, kind, description = match.group(1) or match.group(2), (match.group(3) or "text").strip(), \
            (match.group(4) or "").strip()
        kind, _, options = kind.partition(":")
        field = {"name": name, "type": kind.strip().lower(), "description": description}
        if options.strip():
            field["options"] = _options(options)
        fields.append(field)
    return fields


def _options(written: str) -> list[str]:
    """Options between commas; one holding a comma is written in quotes ("New York, NY")."""
    return [option.strip() for option in next(csv.reader([written.strip()], skipinitialspace=True)) if option.strip()]


def field_line(field: dict) -> str:
    """A field as parse_field_lines reads it back (prefill.py opens a template's fields so)."""
    name = f'"{field["name"]}"' if re.search(r'[():"]', field["name"]) else field["name"]
    options = field.get("options") or []
    kind = "choice: " + ", ".join(f'"{o}"' if re.search(r'[,()"]', o) else o for o in options) if options \
        else field["type"]
    description = one_line(field.get("description") or "")
    return f"{name} ({kind}): {description}" if description else f"{name} ({kind})"


def one_line(description: str) -> str:
    """A description of several lines (a task file's `description: |`) on the form's one line: its words kept."""
    return re.sub(r"\s*\n\s*", " ", description).strip()


def examples_editor(fields: list[dict]) -> list[dict]:
    """A table of example texts and their values: the generator sees them in its prompt, names fields compare names
    with the examples' names. Rows typed in stay when the fields are changed (a new field gets an empty column)."""
    names = field_columns(fields)
    base = _editor_base(names)
    key = _editor_key(base)
    with st.expander(f"Examples (optional): {_count(base, st.session_state.get(key))}", expanded=not base.empty):
        st.caption("One row per example: a short text like your rows, and each field's value as the text writes it "
                   "(left empty where the text has none). Several items of a list or names field: separate them "
                   "with `;`. To add a row, point at the table: **+** shows at its top right.")  # hover only
        edited = st.data_editor(base, num_rows="dynamic", hide_index=True, width="stretch", key=key,
                                column_config=_columns(base, names))
    st.session_state[EXAMPLES_LAST] = edited
    examples, problems = examples_from_rows(edited.to_dict("records"), fields)
    for problem in problems:
        st.warning(problem)
    return examples


def field_columns(fields: list[dict]) -> list[str]:
    """The table's column for each field, once each (a field called like the text column has none)."""
    return [n for n in dict.fromkeys(f["name"] for f in fields) if n != EXAMPLE_TEXT]


def opened_examples(fields: list[dict], examples: list[dict]) -> tuple[list[str], pd.DataFrame]:
    """A template's examples as the table starts from them (prefill.py puts them at EXAMPLES_BASE)."""
    names = field_columns(fields)
    return names, example_table([{**e["values"], EXAMPLE_TEXT: e["text"]} for e in examples], names)


def _editor_base(names: list[str]) -> pd.DataFrame:
    """The table to start from: the one made for these fields while its editor is on the page; else the rows as
    they were last seen, under these fields (Streamlit forgets an editor's edits once it is not drawn for a run:
    the Fields box emptied, another task chosen)."""
    stored = st.session_state.get(EXAMPLES_BASE)
    if stored and stored[0] == names and _editor_key(stored[1]) in st.session_state:
        return stored[1]
    previous = st.session_state.get(EXAMPLES_LAST)
    if previous is None:
        previous = stored[1] if stored else None
    base = example_table([] if previous is None else previous.to_dict("records"), names)
    st.session_state[EXAMPLES_BASE] = (names, base)
    return base


def _editor_key(table: pd.DataFrame) -> str:
    """A new table to start from (other fields, a template opened) is a new editor, without the edits of the one
    before (those are in the new table already)."""
    return "extract-examples-" + hashlib.sha256(table.to_json(orient="split").encode()).hexdigest()[:16]


def _columns(table: pd.DataFrame, names: list[str]) -> dict:
    """Text cells, empty in a new row; the values of fields no longer in the Fields box hidden, not lost: they go
    with their row if it is deleted, and come back with the field."""
    shown = {c: st.column_config.TextColumn(c, default="") for c in (EXAMPLE_TEXT, *names)}
    return {**shown, **{c: None for c in table.columns if c not in shown}}


def _count(table: pd.DataFrame, edits: dict | None) -> str:
    """How many examples the table holds, the edits of the last run included (the title is drawn before the table)."""
    rows = len(table) + len((edits or {}).get("added_rows", [])) - len((edits or {}).get("deleted_rows", []))
    return f"{rows} so far" if rows else "a text and the values it holds"


def example_table(rows: list[dict], names: list[str]) -> pd.DataFrame:
    """The editor's table: the example text, a column per field, then the values of other fields the rows hold
    (hidden in the editor), every cell text."""
    others = [c for c in dict.fromkeys(c for row in rows for c in row if c not in (EXAMPLE_TEXT, *names))
              if any(_cell(row.get(c)) for row in rows)]
    columns = [EXAMPLE_TEXT, *names, *others]
    return pd.DataFrame([{c: _cell(row.get(c)) for c in columns} for row in rows], columns=columns).astype(str)


def _cell(value) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def examples_from_rows(rows: list[dict], fields: list[dict]) -> tuple[list[dict], list[str]]:
    """Task-file examples from the editor's rows, and what is wrong with any of them (that example is left out: with
    a value missing it would show the generator an empty answer)."""
    examples, problems = [], []
    for number, row in enumerate(rows, start=1):
        text = _cell(row.get(EXAMPLE_TEXT)).strip()
        try:
            values = {f["name"]: v for f in fields if (v := _example_value(f, row)) not in (None, "", [])}
        except ValueError as mistake:
            problems.append(f"Example {number}, {mistake}: the example is left out until it is fixed.")
            continue
        if text:
            examples.append({"text": text, "values": values})
        elif values:
            problems.append(f"Example {number} has values but no text: it is left out.")
    return examples, problems


def _example_value(field: dict, row: dict):
    try:
        return example_value(field, _cell(row.get(field["name"])))
    except ValueError as mistake:
        raise ValueError(f"{field['name']}: {mistake}") from None


def example_value(field: dict, cell: str):
    """A typed cell as the template holds it: items of a list or names field as a list, a number as a number, other
    values as written (an example's amount or date as its text writes it)."""
    cell = cell.strip()
    if field.get("type") in LIST_TYPES:
        return [item.strip() for item in cell.split(";") if item.strip()]
    if field.get("type") == "number" and cell:  # 1,5 and 1.5 alike (tasks/fields.as_number)
        return reviewed_value(FieldSpec(name=field["name"], type="number"), cell)
    options = field.get("options") or []
    if field.get("type") == "choice" and cell and cell.casefold() not in {o.casefold() for o in options}:
        raise ValueError(f"'{cell}' is not one of its options ({', '.join(options)})")
    return cell
