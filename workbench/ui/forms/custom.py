"""custom's settings: the instruction, with {column} placeholders, and the longest answer."""

from __future__ import annotations

import pandas as pd
import streamlit as st


def settings_form(frame: pd.DataFrame, text_columns: list[str]) -> dict:
    names = " ".join(f"{{{c}}}" for c in text_columns)
    instruction = st.text_area("Instruction for every row; {Column} is replaced by that column's value",
                               placeholder=f"Write a polite two-sentence reply to this email: {names}",
                               help="Name the text columns you chose; without placeholders the text follows the "
                                    "instruction. Braces the model should see as they are are written doubled: "
                                    "`Answer {{yes/no}}`.", persist_state="session", key="instruction")
    max_words = st.number_input("Longest answer, in words", min_value=1, max_value=400, value=60, persist_state="session", key="custom-max-words")
    return {"instruction": instruction, "max_words": int(max_words)}
