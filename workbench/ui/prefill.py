"""A saved template opened on the New job form to be changed: its settings written into the form's widgets.

Streamlit lets a page set a widget's value only before the widget is drawn in a run, so the button asks for it
(`request`) and the next run writes the values first (`apply_pending`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.tasks.classify import label_line
from workbench.tasks.spec import spec_from_dict
from workbench.ui.kept_state import FORM_OWNER, NEW_JOB

PENDING = "prefill-pending-"


def pending_key(page: str | None = None) -> str:
    """Where a request waits for the form of `page` (default: the page whose form is shown): asked for New job from
    the Templates page, it was applied to Benchmark's form when that was drawn first."""
    return PENDING + (page or st.session_state.get(FORM_OWNER, NEW_JOB))
# A saved template's examples, offered on the form once the template is opened to be changed.
TEMPLATE_EXAMPLES = "template-examples"
TEMPLATE_EXAMPLES_SOURCE = "The template's examples"
# The template's settings the form has no widget for (route's default priority): kept as saved.
EXTRAS = "template-extras"
FORM_SETTINGS = {
    "classify": {"labels", "threshold", "examples", "multi_label", "label_threshold", "fine_tune", "second_opinion",
                 "second_opinion_model"},
    "route": {"labels", "threshold", "examples", "fallback", "min_similarity", "priority"},
    "extract": {"fields", "examples", "day_first"},
    "summarize": {"summary"},
    "custom": {"instruction", "max_words"},
}


def request(spec: dict, template_name: str, columns: list[str], models: list[str]) -> None:
    """Open the saved settings on the form: the columns and model only where this file and machine have them."""
    state = form_state(spec, columns, models)
    state[EXTRAS]["name"] = template_name
    st.session_state[pending_key()] = {**state, "template-name": template_name}
    st.rerun()


def apply_pending() -> None:
    """Write the requested values (or empty the form), before any of the form's widgets is drawn."""
    state = st.session_state.pop(pending_key(), None)
    if not state:
        return
    # What an earlier template set, also where the new one sets nothing, goes back to the empty form's value: set,
    # not dropped, or the browser would go on showing the template's labels, threshold and boxes where the job has
    # none of them.
    opened = _forget_opened()
    emptied = {key: value for key, value in empty_form_state().items() if key in opened}
    if state == EMPTY:
        from workbench.tasks.registry import task_classes

        st.session_state.update({**emptied, "task": next(iter(task_classes()))})
        return
    st.session_state.update({**emptied, **state})
    st.session_state[OPENED] = [key for key in state if key != "settings-source"]


def _forget_opened() -> list[str]:
    """Drops what the opened template set; returns the widget keys it had set."""
    from workbench.ui.forms.extract import EXAMPLES_BASE, EXAMPLES_LAST

    opened = st.session_state.pop(OPENED, [])
    # The text columns stay: they are the file's, and a template opened next sets its own.
    for key in [*opened, EXAMPLES_BASE, EXAMPLES_LAST, TEMPLATE_EXAMPLES, EXTRAS]:
        if not key.startswith("text-columns-"):
            st.session_state.pop(key, None)
    return opened


def empty_form_state() -> dict[str, Any]:
    """Every task's widgets as an empty form shows them: the config models' defaults, without labels, fields or
    examples; the model "default"."""
    from workbench.tasks.registry import task_classes
    from workbench.ui.forms.extract import EXAMPLES_BASE

    state: dict[str, Any] = {"template-name": "", "second-opinion-model": "default", "model-encoder": "default",
                             "model-generator": "default"}
    for task, task_class in task_classes().items():
        model = task_class.config_model
        defaults = {name: field.get_default(call_default_factory=True)
                    for name, field in model.model_fields.items() if not field.is_required()}
        state.update(TASK_STATE[task](model.model_construct(**{**defaults, "fields": [], "labels": []}).model_dump(mode="json")))
    return {key: value for key, value in state.items() if key not in (EXAMPLES_BASE, TEMPLATE_EXAMPLES)}


EMPTY, OPENED = "empty", "prefill-opened"  # OPENED: the widget keys an opened template set


def empty_form_button() -> None:
    """Once a template was opened into the form: a way back to an empty form, for a job unlike the template."""
    name = (st.session_state.get(EXTRAS) or {}).get("name")
    if st.session_state.get(OPENED) and st.button(f"Empty the form (it holds the template '{name}')"):
        st.session_state[pending_key()] = EMPTY
        st.rerun()


def kept_extras(task: str) -> dict:
    """The opened template's settings the form does not show, while its task is still the one chosen; said on the
    page, with a button to drop them, as they would otherwise go unseen into every later job of that task."""
    extras = st.session_state.get(EXTRAS) or {}
    kept = extras.get("config", {}) if extras.get("task") == task else {}
    if changed := extras.get("changed") if extras.get("task") == task else None:
        st.warning(f"The form cannot show all of the template '{extras.get('name')}' as it is saved: "
                   f"{', '.join(changed)}. A job or template made from this form has them as the form shows them. "
                   "To keep them, download the task file on the Templates page, edit it there, and import it.")
    if kept:
        left, right = st.columns([4, 1])
        left.caption(f"Kept from the template '{extras.get('name')}', though not on this form: {', '.join(kept)}.")
        if right.button("Drop them"):
            st.session_state.pop(EXTRAS)
            st.rerun()
    return kept


def form_state(spec: dict, columns: list[str], models: list[str]) -> dict[str, Any]:
    task, config = spec["task"], spec_from_dict(spec).validated_config().model_dump(mode="json")
    from workbench.ui.new_job import text_columns_key  # new_job reads this module's state on import

    state = {"settings-source": "Set them here", "task": task,
             text_columns_key("form", columns): [c for c in spec["text"] if c in columns],
             EXTRAS: {"task": task, "config": _not_on_the_form(task, config)}}
    if spec.get("model", "default") in models:
        state[f"model-{spec_from_dict(spec).model_kind}"] = spec.get("model", "default")
    if task == "classify":  # the picker offers the template's generator even where it is not prepared, and says so
        state["second-opinion-model"] = config.get("second_opinion_model") or "default"
    state.update(TASK_STATE[task](config))
    state[EXTRAS]["changed"] = _not_as_saved(task, config, state)
    return state


def _not_as_saved(task: str, config: dict, state: dict) -> list[str]:
    """The settings the form cannot show as the template holds them, read back as the form reads them: saved from
    the form unchanged, they changed without a word (a label cut-off of 0.7 became 0.5)."""
    from workbench.tasks.classify import parse_label_lines
    from workbench.ui.forms.extract import one_line, parse_field_lines

    changed = []
    if "label-lines" in state and parse_label_lines(state["label-lines"]) != [
            {"name": label["name"], "description": one_line(label.get("description") or "")} for label in config["labels"]]:
        changed.append("labels")
    if "field-lines" in state and parse_field_lines(state["field-lines"]) != [
            {"name": f["name"], "type": f["type"], "description": one_line(f.get("description") or ""),
             **({"options": f["options"]} if f.get("options") else {})} for f in config["fields"]]:
        changed.append("fields")
    if task == "classify" and state["label-threshold"] != config["label_threshold"]:
        changed.append(f"label_threshold ({config['label_threshold']}: the slider goes from {LABEL_THRESHOLDS[0]} to "
                       f"{LABEL_THRESHOLDS[1]})")
    return changed


def _not_on_the_form(task: str, config: dict) -> dict:
    """The settings the task's form has no widget for, where they differ from the template's defaults."""
    from workbench.tasks.registry import get_task_class

    defaults = {name: field.get_default(call_default_factory=True)
                for name, field in get_task_class(task).config_model.model_fields.items()}
    return {k: v for k, v in config.items() if k not in FORM_SETTINGS[task] and v != defaults.get(k)}


def _labels_state(config: dict, task: str) -> dict[str, Any]:
    examples = config.get("examples") or []
    return {"label-lines": "\n".join(label_line(label["name"], label.get("description")) for label in config["labels"]),
            f"threshold-{task}": config["threshold"], TEMPLATE_EXAMPLES: examples,
            "examples-source": TEMPLATE_EXAMPLES_SOURCE if examples else "None"}


# The label cut-off's slider stops at 0.5 (confidences share 1: above it only the best label could pass); a task
# file may hold any value in (0, 1], which the slider would refuse.
LABEL_THRESHOLDS = (0.05, 0.5)


def classify_state(config: dict) -> dict[str, Any]:
    low, high = LABEL_THRESHOLDS
    return {**_labels_state(config, "classify"), "multi-label": config["multi_label"],
            "label-threshold": min(max(config["label_threshold"], low), high), "fine-tune": config["fine_tune"],
            "second-opinion": config["second_opinion"]}


def route_state(config: dict) -> dict[str, Any]:
    cut_off = config.get("min_similarity")
    return {**_labels_state(config, "route"), "fallback": config["fallback"], "own-cut-off": cut_off is not None,
            **({"min-similarity": cut_off} if cut_off is not None else {}),
            "priority-lines": "\n".join(f"{level}: {', '.join(words)}" for level, words in config["priority"].items())}


def extract_state(config: dict) -> dict[str, Any]:
    from workbench.ui.forms.extract import EXAMPLES_BASE, field_line, opened_examples

    return {"field-lines": "\n".join(field_line(field) for field in config["fields"]),
            EXAMPLES_BASE: opened_examples(config["fields"], config.get("examples") or []),
            "day-first": bool(config.get("day_first"))}


def summarize_state(config: dict) -> dict[str, Any]:
    style = config["summary"]["style"]
    return {"summary-style": style, f"summary-max-words-{style}": config["summary"]["max_words"],
            f"summary-drafts-{style}": config["summary"]["drafts"]}


def custom_state(config: dict) -> dict[str, Any]:
    return {"instruction": config["instruction"], "custom-max-words": config["max_words"]}


TASK_STATE = {"classify": classify_state, "route": route_state, "extract": extract_state,
              "summarize": summarize_state, "custom": custom_state}
