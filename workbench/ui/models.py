"""The Models page's parts: the table of models, and preparing, adding and quantizing in the background, with
progress."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.models import builds, registry
from workbench.models.quantize import PRESET_ADVICE, PRESETS
from workbench.ui.context import app_settings
from workbench.ui.widgets import plain, user_errors

# The table's words, said once above it for readers who have not met them.
KINDS_EXPLAINED = ("**Kind**: an *encoder* reads texts and compares their meaning (classify, route, and extract's "
                   "names and choice fields); a *generator* writes text (extract's other fields, summarize, custom). "
                   "**Quantization**: how the model's numbers are stored, smaller and faster or exact (unquantized). "
                   "**Agreement with unquantized**: for a generator, the share of fixed prompts it answers word for "
                   "word as the exact model does (1 = all); for an encoder, how alike its reading of a text is to the "
                   "exact model's, at the least alike of fixed sentences (cosine: 1 = the same). "
                   "**Agreement with original**: the same, against the original model run by transformers + "
                   "PyTorch where it came from (empty for models prepared before).")


def models_table() -> list[dict]:
    rows = registry.list_models(app_settings())
    st.caption(KINDS_EXPLAINED)
    st.dataframe(pd.DataFrame([_summary(row) for row in rows]), hide_index=True, width="stretch",
                 column_config={"Model": st.column_config.TextColumn(pinned=True),
                                "Source": st.column_config.TextColumn(width="large")},
                 placeholder="")  # an unprepared model has no size yet: an empty cell, not a grey "None"
    return rows


def _summary(row: dict) -> dict:
    measured = row.get("measurements") or {}
    return {
        "Model": row["name"], "Kind": row["kind"], "Prepared": "yes" if row["prepared"] else "no",
        "Quantization": row.get("quantization", {}).get("preset", ""),
        "Size (MB)": round(row["size_bytes"] / 1e6, 1) if row.get("size_bytes") else None,
        "Speed": registry.measured_speed(row), "Agreement with unquantized": measured.get("agreement_with_unquantized"),
        "Agreement with original": measured.get("agreement_with_original"),
        "Source": row.get("source", ""), "sha256 (source · ONNX file)": _digests(row), "Note": registry.model_note(row),
    }


def _digests(row: dict) -> str:
    """The manifest's fingerprints, shortened as git shortens commits: enough to tell two copies apart by eye."""
    digests = [row.get("source_sha256") or "", row.get("onnx_sha256") or ""]
    return " · ".join(d[:12] for d in digests) if any(digests) else ""


# A build saves its progress every few seconds at most; a faster refresh would show nothing new.
BUILD_REFRESH_SECONDS = 2


def start(action: str, label: str, **arguments) -> None:
    """Start a build in its own process and redraw the page, which then follows it (builds_section)."""
    with user_errors():  # a models folder that cannot be written to: said in words, the page drawn on
        builds.start_build(app_settings(), action, label, **arguments)
        st.rerun()


def builds_section() -> None:
    """Every build not yet dismissed, followed live while one runs; the whole page is redrawn when one ends, so that
    the table shows the new model."""
    running_at_load = {build.id for build in builds.builds(app_settings()) if not build.finished}

    @st.fragment(run_every=BUILD_REFRESH_SECONDS if running_at_load else None)
    def live() -> None:
        current = builds.builds(app_settings())
        for build in current:
            _build_row(build)
        if any(build.finished and build.id in running_at_load for build in current):
            st.rerun()

    live()


def _build_row(build: builds.Build) -> None:
    if not build.finished:
        st.progress(build.fraction, text=f"{build.label}: {build.message}")
        st.caption("You can leave this page or close the browser: the work goes on, and this page shows it when you "
                   "come back.")
        if st.button("Stop", key=f"stop-{build.id}"):
            builds.stop_build(app_settings(), build.id)
        return
    if build.state == "done":
        st.success(plain(f"{build.label}: ready, as '{build.model}'."))
    else:
        st.error(plain(build.error or f"{build.label} failed."))
    if st.button("Dismiss", key=f"dismiss-{build.id}"):
        builds.dismiss(app_settings(), build.id)
        st.rerun()


def prepare_buttons(rows: list[dict]) -> None:
    building = builds.running_models(app_settings())
    for row in rows:
        wanted = (not row["prepared"] or row.get("outdated")) and row["name"] not in building
        if row["name"] in registry.BUNDLED and wanted and st.button(f"Prepare {row['name']}"):
            start("prepare", f"Preparing {row['name']}", name=row["name"])


def add_form() -> None:
    with st.form("add-model"):
        st.subheader("Add a model")
        source = st.text_input("Source", placeholder="/path/to/model-folder, /path/to/model.gguf or org/name")
        name = st.text_input("Name (optional)")
        kind = st.selectbox("Kind", ["detect from the model", "encoder", "generator"])
        preset = _quantization_choice(["the kind's default", *PRESETS])
        if not st.form_submit_button("Add"):
            return
        if not source.strip():
            st.warning("Type the source first: a model folder, a .gguf file or a hub id (org/name).")
        else:
            start("add", f"Adding {source.strip()}", source=source.strip(), name=name.strip() or None,
                  kind=None if kind.startswith("detect") else kind, preset=None if preset.startswith("the kind") else preset)


def quantize_form(rows: list[dict]) -> None:
    prepared = [row["name"] for row in rows if row["prepared"]]
    if not prepared:
        return
    with st.form("quantize-model"):
        st.subheader("Quantize a model another way")
        name = st.selectbox("Model", prepared)
        preset = _quantization_choice(list(PRESETS))
        new_name = st.text_input("Name (optional)", placeholder="the model's name and the quantization's")
        if st.form_submit_button("Quantize"):
            start("quantize", f"Quantizing {name} ({preset})", name=name, preset=preset,
                  new_name=new_name.strip() or None)


def _quantization_choice(presets: list[str]) -> str:
    """The presets by name, what each does in a list under them: with its advice in the box, a choice was cut
    mid-word at 1280 px ("int4-block32 — 4-bit blocks: smallest for a gen…")."""
    preset = st.selectbox("Quantization", presets)
    with st.expander("What each quantization does"):
        st.markdown("\n".join(f"- **{name}**: {PRESET_ADVICE[name]}" for name in presets if name in PRESET_ADVICE))
    return preset
