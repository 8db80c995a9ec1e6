"""The Models page's parts: the table of models, and preparing, adding and quantizing with progress."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.models import registry
from workbench.models.quantize import PRESET_ADVICE, PRESETS
from workbench.ui.context import app_settings
from workbench.ui.widgets import user_errors

# The table's words, said once above it for readers who have not met them.
KINDS_EXPLAINED = ("**Kind**: an *encoder* reads texts and compares their meaning (classify, route, and extract's "
                   "names and choice fields); a *generator* writes text (extract's other fields, summarize, custom). "
                   "**Quantization**: how the model's numbers are stored, smaller and faster or exact (unquantized). "
                   "**Agreement with unquantized**: how often it answers as the exact model does (1 = always).")


def models_table() -> list[dict]:
    rows = registry.list_models(app_settings())
    st.caption(KINDS_EXPLAINED)
    st.dataframe(pd.DataFrame([_summary(row) for row in rows]), hide_index=True, width="stretch",
                 column_config={"Model": st.column_config.TextColumn(pinned=True),
                                "Source": st.column_config.TextColumn(width="large")})
    return rows


def _summary(row: dict) -> dict:
    measured = row.get("measurements") or {}
    return {
        "Model": row["name"], "Kind": row["kind"], "Prepared": "yes" if row["prepared"] else "no",
        "Quantization": row.get("quantization", {}).get("preset", ""),
        "Size (MB)": round(row["size_bytes"] / 1e6, 1) if row.get("size_bytes") else None,
        "Speed": registry.measured_speed(row), "Agreement with unquantized": measured.get("agreement_with_unquantized"),
        "Source": row.get("source", ""), "sha256 (source · ONNX file)": _digests(row), "Note": registry.model_note(row),
    }


def _digests(row: dict) -> str:
    """The manifest's fingerprints, shortened as git shortens commits: enough to tell two copies apart by eye."""
    digests = [row.get("source_sha256") or "", row.get("onnx_sha256") or ""]
    return " · ".join(d[:12] for d in digests) if any(digests) else ""


def with_progress(label: str, work) -> None:
    """Run work(progress) under a progress bar; a failure shows its message, and a retry starts clean."""
    # The work runs with the page's script: another page stops it (the audit saw the half-built folder go, silently).
    stay = st.caption("Stay on this page until it is done: going to another page stops the work (nothing half-built "
                      "is kept).")
    bar = st.progress(0.0, text=label)
    try:
        with user_errors():
            folder = work(lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message))
            st.session_state[NOTICE] = f"Ready: {folder.name}"
            st.rerun()  # the table at the top of the page then shows the new model
    finally:
        stay.empty()
        bar.empty()  # after a failure a bar stuck at "Exporting … 25%" beside the message would read as still working


NOTICE = "models-notice"


def notice() -> None:
    """What the last prepare, add or quantize did, shown once after the page reloads."""
    if NOTICE in st.session_state:
        st.success(st.session_state.pop(NOTICE))


def prepare_buttons(rows: list[dict]) -> None:
    for row in rows:
        wanted = not row["prepared"] or row.get("outdated")
        if row["name"] in registry.BUNDLED and wanted and st.button(f"Prepare {row['name']}"):
            with_progress(f"Preparing {row['name']}", lambda progress, name=row["name"]: registry.prepare(
                app_settings(), name, progress=progress))


def add_form() -> None:
    with st.form("add-model"):
        st.subheader("Add a model")
        source = st.text_input("Source", placeholder="/path/to/model-folder, /path/to/model.gguf or org/name")
        name = st.text_input("Name (optional)")
        kind = st.selectbox("Kind", ["detect from the model", "encoder", "generator"])
        preset = st.selectbox("Quantization", ["the kind's default", *PRESETS], format_func=_with_advice)
        if not st.form_submit_button("Add"):
            return
        if not source.strip():
            st.warning("Type the source first: a model folder, a .gguf file or a hub id (org/name).")
        else:
            with_progress(f"Adding {source}", lambda progress: registry.add_model(
                app_settings(), source.strip(), name=name.strip() or None, kind=None if kind.startswith("detect") else kind,
                preset=None if preset.startswith("the kind") else preset, progress=progress))


def quantize_form(rows: list[dict]) -> None:
    prepared = [row["name"] for row in rows if row["prepared"]]
    if not prepared:
        return
    with st.form("quantize-model"):
        st.subheader("Quantize a model another way")
        name = st.selectbox("Model", prepared)
        preset = st.selectbox("Quantization", list(PRESETS), format_func=_with_advice)
        new_name = st.text_input("Name (optional)", placeholder="the model's name and the quantization's")
        if st.form_submit_button("Quantize"):
            with_progress(f"Quantizing {name}", lambda progress: registry.quantize_model(
                app_settings(), name, preset, progress=progress, new_name=new_name.strip() or None))


def _with_advice(preset: str) -> str:
    return f"{preset} — {PRESET_ADVICE[preset]}" if preset in PRESET_ADVICE else preset
