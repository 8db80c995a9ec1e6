"""The Job results page's review queue: the rows the model was least sure of, one at a time. The answer a
reviewer gives is saved beside the model's (workbench/jobs/review.py) and shown and downloaded in its place."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.exc import OperationalError

from workbench.errors import WorkbenchError
from workbench.jobs import relearn, review
from workbench.jobs.progress import counted
from workbench.jobs.results import saved_outputs
from workbench.jobs.review import WRITTEN_ANSWERS, RowReview, as_cell
from workbench.tasks.fields import LIST_TYPES
from workbench.tasks.route import NEAREST_QUEUE
from workbench.tasks.spec import spec_from_dict
from workbench.ui.context import app_settings, open_job
from workbench.ui.evaluation import SCORED_ON_REVIEWS
from workbench.ui.widgets import answer_column, plain, user_errors

CONFIRMED = "confirmed"  # a reviewed row whose answers the reviewer kept


# Set on every full run of the page, cleared by a save: the table and charts above were drawn before it.
TABLE_SHOWS_REVIEWS = "table-shows-reviews"
REVIEWS_CHANGED = "reviews-changed"  # since this section was drawn: a review saved or taken back
SAVING_ERROR = "review-saving-error"


def review_section(job, model_frame: pd.DataFrame) -> None:
    """The next row to review with the answers to check, and the rows reviewed so far (a review can be taken back)."""
    # The rows answered when the answers were read: a running job answers more while reviews are saved, and those
    # rows have no answers in this frame until the page is drawn again.
    _review_fragment(job, model_frame, review.answered_rows(app_settings(), job.id))


@st.fragment
def _review_fragment(job, model_frame: pd.DataFrame, answered: set[int]) -> None:
    """Saving a review reruns this section alone, with the reviews read again: rerunning the whole page redrew a
    10,000-row table and its charts for every saved row (3.5-5 s a review)."""
    if st.session_state.pop(REVIEWS_CHANGED, False) and st.session_state.get(SCORED_ON_REVIEWS):
        st.rerun(scope="app")  # the scores below are on the reviewed rows: drawn again with the change
    frame = review.with_job_reviews(app_settings(), job.id, model_frame, job.spec)
    choices = spec_from_dict(job.spec).answer_choices()
    flagged, confidence = answer_column(frame, "needs_review"), answer_column(frame, "confidence")
    st.subheader("Review")
    _table_behind_notice(job)
    every_row = not flagged or st.toggle("Review every row, not only the rows that need review", persist_state="session", key=f"review-all-{job.id}")
    errors = answer_column(frame, "extraction_errors")
    queue = review.review_queue(frame, answered, None if every_row else flagged, confidence, review.reviewed_column(frame),
                                errors)
    if queue:
        order = "least sure first" if confidence else "in the file's order"
        order = f"rows with extraction errors first, then {order}" if errors else order
        # Without flags (summaries, custom answers) nothing "needs" review: every row can be checked.
        what = "to review" if flagged and not every_row else "you can check"
        st.caption(f"{counted(len(queue), 'row')} {what}, {order}. Your answer replaces the model's in the table and the "
                   "downloads; a score against right answers keeps using the model's own.")
        _review_form(job, frame, _row_to_review(job, queue), choices)
    else:
        st.success(_nothing_to_review(answered, flagged and not every_row))
    _reviewed_rows(job, frame, list(choices), flagged_first=bool(confidence))


def _table_behind_notice(job) -> None:
    if st.session_state.get(TABLE_SHOWS_REVIEWS, True):
        return
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption("Your change is saved, and the downloads hold it already; the table and charts above show it when "
                 "the page is next drawn.")
    if right.button("Show them now", key=f"redraw-{job.id}"):
        st.rerun(scope="app")


def _row_to_review(job, queue: list[int]) -> int:
    """The row on screen stays until it is saved or skipped: as a running job answers rows, a less sure one may
    come first, and a form replaced before its click is handled would lose the answer typed in it."""
    skipped = st.session_state.setdefault(f"review-skipped-{job.id}", [])
    waiting = [row for row in queue if row not in skipped] or queue  # all skipped: round again
    shown = st.session_state.get(f"review-row-{job.id}")
    st.session_state[f"review-row-{job.id}"] = shown if shown in queue else waiting[0]
    return st.session_state[f"review-row-{job.id}"]


def _nothing_to_review(answered: set[int], flagged_only: bool) -> str:
    if not answered:
        return "No rows are answered yet: they come here as the job answers them."
    if flagged_only:
        return "No rows left that need review. Switch on \"Review every row\" to check the others."
    return "Every answered row is reviewed."


def _review_form(job, frame: pd.DataFrame, row: int, choices: dict[str, list[str] | None]) -> None:
    with st.container(border=True):
        confidence = answer_column(frame, "confidence")
        sure = _confidence_words(job.id, frame, row, confidence) if confidence else ""
        st.markdown(f"**Row {row + 1}**{sure}", help=f"Row {row + 1} of the data: line {row + 2} of the file, under its header.")
        for column in _text_columns(frame):
            st.caption(column)
            st.text(as_cell(frame.at[row, column]))
        errors = answer_column(frame, "extraction_errors")
        if errors and as_cell(frame.at[row, errors]):  # why an extract row came first in the queue
            st.warning(f"Values dropped: {as_cell(frame.at[row, errors])}")
        # Enter in a field must not save the row: with several fields, rows were saved half-corrected.
        with st.form(f"review-{job.id}-{row}", border=False, enter_to_submit=False):
            for name, allowed in choices.items():
                _answer_input(frame, row, name, allowed, key=_answer_key(job.id, row, name))
            save, skip = st.columns(2)
            # Callbacks run before the section is drawn again, so it shows the next row without another rerun.
            save.form_submit_button("Save answer", type="primary", width="stretch", on_click=_save_review,
                                    args=(job.id, row, list(choices)))
            skip.form_submit_button("Skip for now", width="stretch", on_click=_skip_row, args=(job.id, row))
        _saving_error()


def _confidence_words(job_id: int, frame: pd.DataFrame, row: int, confidence: str) -> str:
    """The model's confidence; for a row sent to route's fallback queue, said to be the nearest queue's, named (saved
    with the row's answer since 2026-11-30)."""
    value = float(frame.at[row, confidence])
    fallback, queue = (frame.attrs.get("spec") or {}).get("fallback"), answer_column(frame, "queue")
    if fallback and queue and frame.at[row, queue] == fallback:
        nearest = saved_outputs(app_settings(), job_id, row).get(NEAREST_QUEUE)
        named = f"'{plain(nearest)}', confidence {value:.2f}" if nearest else f"confidence {value:.2f}"
        return f" · sent to '{plain(fallback)}': no queue matched well enough (the nearest one: {named})"
    return f" · the model's confidence {value:.2f}"


def _answer_key(job_id: int, row: int, name: str) -> str:
    return f"review-answer-{job_id}-{row}-{name}"


def _save_review(job_id: int, row: int, names: list[str]) -> None:
    answers = {name: st.session_state[_answer_key(job_id, row, name)] for name in names}
    try:
        review.save_reviews(app_settings(), job_id, [RowReview(row, answers)])
    except (WorkbenchError, OperationalError) as exc:
        st.session_state[SAVING_ERROR] = exc  # shown under the form it came from, which stays on screen
        return
    st.session_state[TABLE_SHOWS_REVIEWS] = False
    st.session_state[REVIEWS_CHANGED] = True


def _saving_error() -> None:
    if SAVING_ERROR in st.session_state:
        with user_errors():
            raise st.session_state.pop(SAVING_ERROR)


def _skip_row(job_id: int, row: int) -> None:
    skipped = st.session_state[f"review-skipped-{job_id}"]
    # Every row skipped: a new round starts after this one (it stuck on the first row of the queue for good).
    st.session_state[f"review-skipped-{job_id}"] = [*skipped, row] if row not in skipped else [row]
    st.session_state.pop(f"review-row-{job_id}")


def _answer_input(frame: pd.DataFrame, row: int, name: str, allowed: list[str] | None, key: str) -> str:
    """The model's answer, ready to be kept or changed: a list of the values the column may take, or a text box."""
    column = answer_column(frame, name)
    current = as_cell(frame.at[row, column]) if column else ""
    if allowed is not None:
        options = allowed if current in allowed else [current, *allowed]
        return st.selectbox(name, options, index=options.index(current), format_func=lambda value: value or "(empty)",
                            persist_state="session", key=key)
    if name in WRITTEN_ANSWERS:
        return st.text_area(name, current, persist_state="session", key=key)
    listed = name in _list_fields(frame)
    answer = st.text_input(name, current, help="Several values: separate them with ;" if listed or ";" in current else None,
                           persist_state="session", key=key)
    if listed:
        st.caption("Several values: separate them with `;` (a comma is part of a value).")
    return answer


def _list_fields(frame: pd.DataFrame) -> set[str]:
    """An extract job's fields that hold several values ("Ann; Bob")."""
    fields = (frame.attrs.get("spec") or {}).get("fields") or []
    return {f["name"] for f in fields if f.get("type") in LIST_TYPES}


def _reviewed_rows(job, frame: pd.DataFrame, answers: list[str], flagged_first: bool) -> None:
    reviewed = review.reviewed_column(frame)
    rows = list(frame.index[frame[reviewed] == True]) if reviewed else []  # noqa: E712
    if not rows:
        return
    changes = _changes(job, rows)
    with st.expander(f"Reviewed rows ({len(rows):,}): {_kept_share(changes)}"):
        shown = [c for c in (answer_column(frame, a) for a in answers) if c] + _text_columns(frame)
        table = frame.loc[rows, shown].assign(changed=changes)
        if flagged_first:
            st.caption("Rows come to review least sure first, so the model is usually right more often on the rows "
                       "nobody reviewed than on these.")
        st.dataframe(table[["changed", *shown]].set_axis([r + 1 for r in rows]), width="stretch")
        st.selectbox("Row", rows, format_func=lambda r: f"Row {r + 1}", key=f"take-back-row-{job.id}")
        st.button("Take back this review", key=f"take-back-{job.id}", on_click=_take_back, args=(job.id,))
    if relearn.learns_from_reviews(job.task):
        _learn_from_reviews(job, frame, len(rows))


def _take_back(job_id: int) -> None:
    row = st.session_state[f"take-back-row-{job_id}"]
    review.remove_reviews(app_settings(), job_id, [row])
    st.session_state[TABLE_SHOWS_REVIEWS] = False
    st.session_state[REVIEWS_CHANGED] = True
    # The row's answer boxes kept the correction taken back: shown again in the queue, they offered it to save again.
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(_answer_key(job_id, row, ""))]:
        del st.session_state[key]


def _kept_share(changes: list[str]) -> str:
    """How often a reviewer kept the model's answers: a floor for its accuracy when the queue held its least sure rows."""
    kept = changes.count(CONFIRMED)
    return f"the model's answers confirmed on {kept:,} of {len(changes):,} ({kept / len(changes):.0%})"


def _changes(job, rows: list[int]) -> list[str]:
    """What each review changed, e.g. "queue: Other → billing" ("confirmed" when the model's answers were right)."""
    reviews, model = review.job_reviews(app_settings(), job.id), review.model_answers(app_settings(), job.id, rows)
    return ["; ".join(f"{column}: {as_cell(model[row].get(column)) or '(empty)'} → {as_cell(value) or '(empty)'}"
                      for column, value in reviews.get(row, {}).items()) or CONFIRMED for row in rows]


def _learn_from_reviews(job, frame: pd.DataFrame, reviewed: int) -> None:
    teaching = len(relearn.examples_in(frame, spec_from_dict(job.spec), app_settings().max_cell_chars))
    fallback = f" (rows sent to '{job.spec.get('fallback')}' teach no queue)" if job.task == "route" and teaching < reviewed else ""
    st.caption(f"Your reviewed rows can teach the model: a new job on the same file, with them added to the examples{fallback}.")
    if not teaching:
        return
    rows = "the reviewed row" if teaching == 1 else f"the {teaching:,} reviewed rows"
    if st.button(f"Run again, learning from {rows}", key=f"relearn-{job.id}"):
        with user_errors():
            open_job(relearn.rerun_with_reviewed_examples(app_settings(), job.id))


def _text_columns(frame: pd.DataFrame) -> list[str]:
    text = (frame.attrs.get("spec") or {}).get("text") or []
    return [c for c in ([text] if isinstance(text, str) else text) if c in frame.columns]
