"""The steps of the New job page, one function each: input, sheet, columns, settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from workbench.errors import TableShapeError, TaskConfigError
from workbench.io import list_sheets, read_table
from workbench.io.notes import input_notes, language_note, long_text_note
from workbench.io.readers import MAX_HEADER_ROW, opening_sheet
from workbench.io.rows import EXAMPLES_PER_LABEL, examples_from_table, examples_per_label
from workbench.io.stream import iter_frames
from workbench.jobs import service, templates
from workbench.jobs.progress import counted
from workbench.models.registry import DEFAULTS, list_models, preload_generator
from workbench.tasks.classify import parse_label_lines
from workbench.tasks.extract import ENCODER_TYPES
from workbench.tasks.registry import get_task_class, task_classes
from workbench.tasks.route import DEFAULT_MIN_SIMILARITY, parse_priority_lines
from workbench.tasks.spec import spec_from_dict, task_file_text, validate_config
from workbench.ui import prefill
from workbench.ui.context import app_settings, sample_files
from workbench.ui.kept_state import NEW_JOB, own_the_form
from workbench.ui.widgets import model_label, saved_ids, user_errors

PREVIEW_ROWS = 500


@dataclass
class ChosenInput:
    path: Path
    name: str
    upload_id: int | None = None


def choose_input(page: str = "new-job") -> ChosenInput | None:
    """The file to work on. `page`: each page (New job, Benchmark) keeps its own file for the session."""
    source = st.radio("Data", ["Upload a file", "Use a sample file"], horizontal=True, label_visibility="collapsed",
                      persist_state="session", key=f"data-source-{page}")
    if source == "Use a sample file":
        samples = sample_files()
        name = st.selectbox("Sample file", list(samples), persist_state="session", key=f"sample-file-{page}")
        return ChosenInput(samples[name], name) if name in samples else None
    kept, box = f"kept-upload-{page}", f"upload-{page}"
    uploaded = st.file_uploader("CSV, TSV or Excel file", type=["csv", "tsv", "txt", "xlsx", "xlsm"],
                                key=box, on_change=lambda: st.session_state.pop(kept, None))
    if uploaded:
        st.session_state[kept] = _stored_upload(uploaded)
    return _kept_upload(kept, box)


def _kept_upload(kept: str, box: str) -> ChosenInput | None:
    """The file uploaded on this page earlier in the session: the upload box is empty again after another page
    (Streamlit cannot refill it), and the settings typed for the file would have nothing to run on. Removing the file
    from the box (its x) forgets it."""
    chosen = st.session_state.get(kept)
    if chosen is not None and not st.session_state.get(box):  # the box empty: say which file is worked on
        said, button = st.columns([4, 1], vertical_alignment="center")
        said.caption(f"Working on **{chosen.name}**, uploaded earlier. Upload another file above to work on it "
                     "instead.")
        if button.button("Put it away", key=f"forget-{kept}", help="Back to an empty upload box. The settings stay."):
            st.session_state.pop(kept)
            st.rerun()
    return chosen


def _stored_upload(uploaded) -> ChosenInput | None:
    # Store each upload once per session, not on every rerun of the page.
    cache = st.session_state.setdefault("uploads", {})
    if uploaded.file_id not in cache:
        with user_errors():
            upload = service.store_upload(app_settings(), uploaded.name, uploaded.getvalue())
            cache[uploaded.file_id] = ChosenInput(Path(upload.stored_path), uploaded.name, upload.id)
    return cache.get(uploaded.file_id)


@dataclass(frozen=True)
class TablePlace:
    """Where the rows are in the file: its sheet (None: a text file's one table) and the row naming the columns
    (None: found by the reader)."""

    sheet: str | None
    header_row: int | None = None


def choose_table(chosen: ChosenInput) -> TablePlace:
    sheets, opening = _sheets(str(chosen.path), _stamp(chosen.path))
    # The row's box kept off the right edge: the preview table's toolbar, shown there on hover, covered its + and -.
    # A third of the width for the row's box: a quarter cut its label and placeholder at 1,000 px with the sidebar open.
    sheet_column, header_column, _ = st.columns([3, 2, 1])
    sheet = sheets[0] or None
    if len(sheets) > 1:  # kept per file, as the other choices are: it went back to the opening sheet after another page
        key = f"sheet-{chosen.path}"
        sheet = kept_choice(sheet_column, "Sheet", sheets, opening if opening in sheets else sheets[0], key,
                            help="Starts at the sheet the workbook opens on.")
    return TablePlace(sheet, _choose_header_row(header_column, chosen))


def _choose_header_row(column, chosen: ChosenInput) -> int | None:
    # Keyed by the file, so another upload starts from the header found by itself again.
    return column.number_input(
        "Column names on row", min_value=1, max_value=MAX_HEADER_ROW, value=None, step=1,
        placeholder="automatic", persist_state="session", key=f"header-row-{chosen.path}",
        help="Leave empty unless the preview below shows the wrong column names (a report's title above the table): "
             "then type the number of the row that holds them, as your spreadsheet program numbers rows.")


def preview(chosen: ChosenInput, table: TablePlace) -> pd.DataFrame:
    try:
        frame = _preview(str(chosen.path), _stamp(chosen.path), table.sheet, table.header_row)
    except TableShapeError as exc:
        if table.header_row:
            raise
        raise TableShapeError(f"{exc} If the column names are on a lower row (a title above them), type that row's "
                              "number in 'Column names on row' above.") from None
    # For what needs the whole sheet (a label column's examples); plain values: st.dataframe serialises attrs as JSON.
    frame.attrs["read_from"] = (str(chosen.path), table.sheet, table.header_row)
    # macros ignored, formulas without saved values
    for note in _notes(str(chosen.path), _stamp(chosen.path), table.sheet):
        st.info(note)
    st.dataframe(frame.head(10), width="stretch", hide_index=True, placeholder="")  # a blank cell of the file
    return frame


# The page redraws at every click; a 100,000-row workbook's sheets, preview and notes took 5-7 s of each redraw (the
# file opened two or three times). Read once per file as stored (its path and stamp) and sheet.
@st.cache_data(max_entries=8, show_spinner=False)
def _sheets(path: str, stamp: tuple) -> tuple[list[str], str | None]:
    """The workbook's sheets and the one it opens on."""
    return list_sheets(Path(path)), opening_sheet(Path(path))


@st.cache_data(max_entries=8, show_spinner="Reading the file…")
def _preview(path: str, stamp: tuple, sheet: str | None, header_row: int | None) -> pd.DataFrame:
    return read_table(Path(path), sheet=sheet, nrows=PREVIEW_ROWS, header_row=header_row)


@st.cache_data(max_entries=8, show_spinner=False)
def _notes(path: str, stamp: tuple, sheet: str | None) -> list[str]:
    return input_notes(Path(path), sheet)


def _stamp(path: Path) -> tuple:
    """Part of the caches' keys: a file changed in place (a sample file edited) is read again."""
    try:
        status = Path(path).stat()
    except OSError:  # gone: reading it says so, in words
        return (0, 0)
    return status.st_mtime_ns, status.st_size


def job_settings(chosen: ChosenInput, frame: pd.DataFrame, model_choice: bool = True, page: str = NEW_JOB):
    """The template's settings, from a saved template or set on the page, and the saved template if one was used;
    the spec is None until the settings are enough to run. Without `model_choice` the page chooses models itself.
    `page`: whose settings the form shows (New job's and Benchmark's are kept apart)."""
    from workbench.ui.forms import FORMS  # the forms use this module's widgets

    own_the_form(page)
    template = choose_saved_template()
    columns = choose_text_columns(frame, template)
    if template:
        spec = saved_template_spec(template, columns, chosen.name)
        if st.button("Change these settings", help="Opens the template's settings in the form below; saving them under "
                                                   "the same name adds a version."):
            prefill.request(templates.template_spec(template).to_dict(), template.name, list(frame.columns), _model_names())
        return spec, template
    prefill.empty_form_button()
    task = choose_task()
    config = FORMS[task](frame, columns)
    config = {**prefill.kept_extras(task), **config}
    model = {"model": choose_model(task, config)} if model_choice else {}
    return complete_spec({"task": task, "text": columns, **model, "name": chosen.name, **config}), None


def _model_names(kind: str | None = None, models: list[dict] | None = None) -> list[str]:
    """'default' and the prepared models (of one kind, if given; `models`: list_models' rows, if already read)."""
    names = [m["name"] for m in models or list_models(app_settings()) if m["prepared"] and kind in (None, m["kind"])]
    return list(dict.fromkeys(["default", *names]))


def choose_saved_template():
    """A saved template to run (None: the settings are set on this page); offered once one is saved."""
    prefill.apply_pending()  # a template opened to be changed fills the form's widgets, before they are drawn
    saved = templates.list_templates(app_settings())
    if not saved or st.radio("Settings", ["Set them here", "Use a saved template"], horizontal=True,
                             persist_state="session", key="settings-source") == "Set them here":
        return None
    by_id = {t.id: t for t in saved}
    if st.session_state.get(SAVED_TEMPLATE) not in by_id:
        st.session_state.pop(SAVED_TEMPLATE, None)  # deleted meanwhile
    chosen = st.selectbox("Saved template", list(by_id), persist_state="session", key=SAVED_TEMPLATE,
                          format_func=lambda i: f"{by_id[i].name} · version {by_id[i].version} · {by_id[i].task}")
    return by_id[chosen]


SAVED_TEMPLATE = "saved-template"


def use_template(template_id: int) -> None:
    """New job with this saved template chosen (from the Templates page), once a file is picked."""
    st.session_state[prefill.pending_key(NEW_JOB)] = {"settings-source": "Use a saved template", SAVED_TEMPLATE: template_id}
    st.switch_page("app_pages/new_job.py")


def choose_text_columns(frame: pd.DataFrame, template=None) -> list[str]:
    """The columns the model reads: the template's own, where this file has them, or else the longest column."""
    longest = frame.apply(lambda c: c.str.len().mean()).idxmax()
    wanted = template.spec["text"] if template else []
    own, missing = [c for c in wanted if c in frame.columns], [c for c in wanted if c not in frame.columns]
    key = text_columns_key(template.id if template else "form", list(frame.columns))
    if key in st.session_state:
        # Set again, so the box shows it: a choice kept while another file's box was on the page stayed in the state
        # but came back as an empty box (browser audit: upload, remove, another file, remove, the first layout again).
        st.session_state[key] = [c for c in st.session_state[key] if c in frame.columns]
    # A template opened to be changed sets the columns itself (prefill.py); a default beside it would be ignored.
    columns = st.multiselect("Text column(s) the model reads", list(frame.columns),
                             default=None if key in st.session_state else own or [longest], persist_state="session", key=key,
                             help="Several columns are joined with their names, e.g. 'Subject: …' and 'Body: …'.")
    if missing:
        st.caption(f"The template was saved for a file with the column(s) {', '.join(missing)}, which this one does not "
                   "have: choose the column(s) it should read here.")
    for note in (long_text_note(frame, columns, app_settings().max_cell_chars), language_note(frame, columns)):
        if note:
            st.warning(note)
    return columns


def text_columns_key(source: int | str, columns: list[str]) -> str:
    """The text-column box's key, one per set of columns: switching to a file with other columns gives a new box. With
    one key, the box went on showing a column the new file lacks ("review") while the job read another."""
    return column_choice_key(f"text-columns-{source}", columns)


def kept_choice(where, label: str, options: list[str], first: str, key: str, **kwargs) -> str:
    """A box kept for the session (persist_state), starting at `first`: once chosen, the kept choice (a start given
    beside a value the state already holds would be ignored, with a warning)."""
    return where.selectbox(label, options, index=None if key in st.session_state else options.index(first),
                           persist_state="session", key=key, **kwargs)


def column_choice_key(box: str, columns: list[str]) -> str:
    """A key for a box choosing among these columns, kept for the session: one per set of columns."""
    return f"{box}-{hashlib.sha1(chr(31).join(columns).encode()).hexdigest()[:10]}"


def choose_task() -> str:
    classes = task_classes()
    return st.selectbox("Task", list(classes), format_func=lambda n: f"{classes[n].title}: {classes[n].description}",
                        persist_state="session", key="task")


# What the threshold does: route also sends the row to the fallback queue (PRODUCT.md §4), which a user must know.
THRESHOLD_WORDING = {"classify": "Flag rows for review when the confidence is below",
                     "route": "Also send rows to the fallback queue, flagged for review, when the confidence is below"}
THRESHOLD_HELP = {
    "classify": "At 0 no row is flagged.",
    "route": "Rows that match no queue closely enough go to the fallback queue whatever this says (how closely: the "
             "setting below the fallback queue). This also sends the rows the model is unsure of there, for a person "
             "to route. At 0 it sends none.",
}


def classify_settings(frame: pd.DataFrame, text_columns: list[str], task: str = "classify") -> dict:
    """Settings of classify and route: the same labels (queues for route), threshold and examples."""
    routing = task == "route"
    labels = st.text_area(f"{'Queues' if routing else 'Labels'}, one per line (`name: description`, the description is "
                          "optional)", height=150,
                          placeholder="billing: invoices, charges, refunds\ntechnical_support: bugs, errors, outages",
                          help='A name that holds a colon goes between double quotes: `"Tier 1: billing": invoices`.',
                          persist_state="session", key="label-lines")  # kept when switching between classify and route
    threshold = st.slider(THRESHOLD_WORDING[task], 0.0, 1.0, 0.0 if routing else 0.5, 0.05, persist_state="session", key=f"threshold-{task}",
                          help=THRESHOLD_HELP[task])
    config = {"labels": parse_label_lines(labels), "threshold": threshold}
    if routing:
        config["fallback"] = st.text_input("Fallback queue, for rows that fit no queue", value="Other",
                                           persist_state="session", key="fallback").strip() or "Other"
        config.update(_fallback_cut_off())
        config.update(_priority_rules())
    examples = _examples(frame, text_columns)
    if examples:
        config["examples"] = examples
    if not routing:
        config.update(_multi_label())
        config.update(_second_opinion())
    if examples and not routing:
        config["fine_tune"] = st.checkbox(
            "Fine-tune the model on these examples (more accurate; adds a few minutes before the job starts)", persist_state="session", key="fine-tune",
            help="Trains a copy of the model on your examples once; the same examples reuse it. "
                 "'Try on 5 rows' uses the model as it is.")
    return config


def _fallback_cut_off() -> dict:
    """The similarity below which a row fits no queue: learnt from the examples, or 0.30 without them, unless set."""
    if not st.checkbox("Set how closely a row must match a queue myself", persist_state="session", key="own-cut-off",
                       help=f"By default the cut-off is learnt from your examples; without examples it is "
                            f"{DEFAULT_MIN_SIMILARITY:.2f}. Lower it if too many rows go to the fallback queue, raise "
                            "it if rows that fit no queue are routed anyway."):
        return {}
    # Down to -1 (a task file's way of saying "never the fallback"), which any cosine similarity reaches.
    return {"min_similarity": st.slider("Rows less similar than this to every queue go to the fallback queue",
                                        -1.0, 1.0, DEFAULT_MIN_SIMILARITY, 0.05, persist_state="session", key="min-similarity",
                                        help="Similarity runs from -1 (nothing in common) to 1 (the same meaning); "
                                             "at -1 no row goes to the fallback queue.")}


def _priority_rules() -> dict:
    rules = st.text_area("Priority (optional), one level per line: `level: words or phrases, comma-separated`", persist_state="session", key="priority-lines",
                         placeholder="high: urgent, asap, not working\nlow: suggestion, newsletter",
                         help="Each row gets the first level whose words appear in it; other rows get 'normal'.")
    priority = parse_priority_lines(rules)
    return {"priority": priority} if priority else {}


def _multi_label() -> dict:
    if not st.checkbox("Several labels per row", help="Adds a `labels` column with every label that fits well enough.",
                       persist_state="session", key="multi-label"):
        return {}
    # Confidences share 1 across labels, so a cut-off above 0.5 could only ever pass one label.
    cut_off = st.slider("Give every label whose confidence reaches", 0.05, 0.5, 0.3, 0.05, persist_state="session", key="label-threshold")
    return {"multi_label": True, "label_threshold": cut_off}


def _second_opinion() -> dict:
    asked = st.checkbox(
        "Also ask the text generator about rows the model is unsure of (slower)", persist_state="session", key="second-opinion",
        help="A second model reads the rows the first is unsure of, and the two answers are joined. It helped with "
             "positive / negative reviews (66% -> 77% right), not with topics. The job checks on its first 200 rows "
             "that it is worth asking, and says so on its page. Adds a tenth to a quarter of a second per row asked.")
    if not asked:
        return {}
    chosen = _second_opinion_model()
    return {"second_opinion": True, **({"second_opinion_model": chosen} if chosen != "default" else {})}


def _second_opinion_model() -> str:
    """The generator to ask: a choice once there is more than the bundled one (or a template names another)."""
    models = list_models(app_settings())
    generators = _model_names("generator", models)
    wanted = st.session_state.get("second-opinion-model")
    missing = [wanted] if wanted and wanted not in generators else []
    if len(generators + missing) < 2:
        return "default"
    return st.selectbox("Generator for the second opinion", generators + missing, persist_state="session", key="second-opinion-model",
                        format_func=lambda n: f"{n} (not prepared here: add it on the Models page)" if n in missing
                        else model_label(n, models),
                        help=f"'default' is the bundled {DEFAULTS['generator']}; a bigger generator you added "
                             "(Models page) reads better and slower.")


def _examples(frame: pd.DataFrame, text_columns: list[str]) -> list[dict]:
    kept = st.session_state.get(prefill.TEMPLATE_EXAMPLES) or []
    sources = ["None", "A label column of this sheet", "Another file"] + ([prefill.TEMPLATE_EXAMPLES_SOURCE] if kept else [])
    source = st.radio("Labelled examples (optional, they make answers better)", sources, horizontal=True, persist_state="session", key="examples-source")
    if source == prefill.TEMPLATE_EXAMPLES_SOURCE:
        st.caption(f"{len(kept)} examples, as saved in the template.")
        return kept
    if source == "A label column of this sheet":
        columns, key = list(frame.columns), column_choice_key("label-column", list(frame.columns))
        label_column = kept_choice(st, "Column with labels (rows left empty are not used)", columns,
                                   likely_label_column(frame, text_columns), key)
        examples = _column_examples(frame, text_columns, label_column)
        st.caption(examples_note(examples))
        return examples
    if source == "Another file":
        return _examples_from_upload()
    return []


def _column_examples(frame: pd.DataFrame, text_columns: list[str], label_column: str) -> list[dict]:
    """The label column's examples over the whole sheet, not the preview's first rows: a file sorted by label had 4
    of its 77 labels there, and a job then gave every row one of those 4."""
    if "read_from" not in frame.attrs:
        return examples_from_table(frame, text_columns, label_column)
    path, sheet, header_row = frame.attrs["read_from"]
    return sheet_examples(path, sheet, header_row, tuple(text_columns), label_column)


@st.cache_data(max_entries=4, show_spinner="Reading the labels of the whole sheet…")
def sheet_examples(path: str, sheet: str | None, header_row: int | None, text_columns: tuple[str, ...],
                   label_column: str) -> list[dict]:
    return examples_per_label(iter_frames(Path(path), sheet=sheet, header_row=header_row), list(text_columns),
                              label_column)


def examples_note(examples: list[dict]) -> str:
    """How many examples the label column gave, of how many labels, and that each label keeps its first ones."""
    labels = len({example["label"] for example in examples})
    return (f"{counted(len(examples), 'labelled example')} of {counted(labels, 'label')} from the whole sheet (at most "
            f"the first {EXAMPLES_PER_LABEL} of each label: more make a job slower to start, hardly better).")


def likely_label_column(frame: pd.DataFrame, text_columns: list[str]) -> str:
    """The column that looks most like labels: not read as text, and repeating the fewest values (a category
    column has a handful); offering the first column put a subject line column first."""
    others = [c for c in frame.columns if c not in text_columns and frame[c].replace("", None).nunique() >= 2]
    return min(others, key=lambda c: frame[c].replace("", None).nunique(), default=frame.columns[0])


EXAMPLES_KEPT, EXAMPLES_BOX = "kept-upload-examples", "examples-file"


def _examples_from_upload() -> list[dict]:
    """The examples file, kept as the main upload is: its box is empty again after another page, and the job then
    ran without examples, without a word."""
    uploaded = st.file_uploader("Examples file", type=["csv", "tsv", "xlsx"], key=EXAMPLES_BOX,
                                on_change=lambda: st.session_state.pop(EXAMPLES_KEPT, None))
    if uploaded:
        st.session_state[EXAMPLES_KEPT] = _stored_upload(uploaded)
    chosen = _kept_upload(EXAMPLES_KEPT, EXAMPLES_BOX)
    if chosen is None:
        st.caption("No examples file yet: the job runs without examples until one is uploaded.")
        return []
    return examples_from_file(chosen.path)


def examples_from_file(path) -> list[dict]:
    """The examples in a file of their own: its sheet (a workbook may hold several), text and label columns, each
    choice kept for the session, per file."""
    sheets = list_sheets(path)
    sheet = st.selectbox("Examples: sheet", sheets, persist_state="session", key=f"examples-sheet-{path}") \
        if len(sheets) > 1 else sheets[0] or None
    table = read_table(path, sheet=sheet)
    columns = list(table.columns)
    text_column = st.selectbox("Examples: text column", columns, persist_state="session",
                               key=column_choice_key(f"examples-text-{path}", columns))
    label_key = column_choice_key(f"examples-label-{path}", columns)
    label_column = kept_choice(st, "Examples: label column", columns, likely_label_column(table, [text_column]),
                               label_key)
    return examples_from_table(table, [text_column], label_column)


def choose_model(task: str, config: dict) -> str:
    """The prepared models of the kind the settings run on (an encoder for classify, route and extract of names and
    choices only; a generator for the others): a model of the other kind cannot run it."""
    kind, models = model_kind_of(task, config), list_models(app_settings())
    return st.selectbox("Model", _model_names(kind), persist_state="session", key=f"model-{kind}", format_func=lambda n: model_label(n, models),
                        help=f"'default' is the model that comes with the app ({DEFAULTS[kind]})."
                             f"{_encoder_beside(task, config, kind)}")


def _encoder_beside(task: str, config: dict, kind: str) -> str:
    """Said where the encoder fills extract's names and choice fields: beside a generator, or alone."""
    kinds = {field.get("type") for field in config.get("fields") or []} if task == "extract" else set()
    filled = " and ".join(f"{kind_} fields" for kind_ in ENCODER_TYPES if kind_ in kinds)
    if not filled:
        return ""
    if kind == "encoder":
        return " Every field here is filled by the encoder, so the job runs on an encoder alone."
    return f" The {filled} are filled by the bundled encoder, {DEFAULTS['encoder']}, beside it."


def model_kind_of(task: str, config: dict) -> str:
    """The kind of model these settings run on; the template's own while they are not complete."""
    try:
        return get_task_class(task).kind_of_model(validate_config(task, config))
    except TaskConfigError:
        return get_task_class(task).model_kind


def saved_template_spec(template, columns: list[str], name: str):
    """The saved template's settings on the columns chosen here, shown as its task file; None until they run."""
    spec = {**templates.template_spec(template).to_dict(), "text": columns, "name": f"{name} · {template.name}"}
    with st.expander(f"Settings of '{template.name}', version {template.version}"):
        # wrap_lines: a long instruction or description ran off the box on a laptop screen
        st.code(task_file_text(spec_from_dict(spec)) if columns else "", language="yaml", wrap_lines=True)
    return complete_spec(spec)


def save_as_template(spec) -> None:
    if note := st.session_state.pop(TEMPLATE_SAVED, None):
        st.success(note)
    with st.expander("Save these settings as a template"):
        name = st.text_input("Template name", help="Saving under a name that exists adds a new version; earlier ones stay.",
                             persist_state="session", key="template-name")
        if st.button("Save template"):
            with user_errors():
                known = saved_ids()
                saved = templates.save_template(app_settings(), name, spec)
                st.session_state[TEMPLATE_SAVED] = (
                    f"Saved as '{saved.name}', version {saved.version}. The Templates page lists it and exports it as a "
                    "task file." if saved.id not in known else
                    f"'{saved.name}', version {saved.version}, has these settings already: nothing new was saved.")
                # Drawn again: the page's first template offers "Use a saved template" above at once, not after the
                # next click.
                st.rerun()


TEMPLATE_SAVED = "template-saved-note"


def named(spec):
    """The spec under the name the user gives the job, if any: jobs on one file were told apart by their number alone."""
    name = st.text_input("Job name (optional)", placeholder=spec.name or "", persist_state="session", key="job-name",
                         help="Shown on the Jobs and Job results pages; left empty, the job is named after its file.")
    return spec.model_copy(update={"name": name.strip()}) if name.strip() else spec


def forget_job_name() -> None:
    st.session_state.pop("job-name", None)


def load_generator_early(spec) -> None:
    """Start loading the generator these settings need while the user reads the page, so the first "Try on 5 rows"
    does not wait for it too (3 s of an extract try's 5-6 s)."""
    if spec.generator is not None:
        preload_generator(app_settings(), spec.generator)


def try_wait_text(spec) -> str:
    """What a try waits for: the model that writes its answers takes seconds a row on two cores, not one in all."""
    if spec.generator is None:
        return "Running on 5 rows…"
    return "Running on 5 rows… The model writes each answer word by word: 10-30 s on a laptop's processor."


def complete_spec(data: dict):
    """The task spec once the form says enough to run it; until then, what is still missing, and None."""
    if not data["text"]:
        st.info("Choose the text column(s) the model reads.")
        return None
    try:
        return spec_from_dict(data).check_new()
    except TaskConfigError as missing:  # e.g. fewer than two labels, no fields yet, an empty instruction
        st.info(f"{missing}\n\n{TYPED_ALREADY}" if _boxes_unfilled(data) else str(missing))
        return None


# A text box's words reach the page only when the box is left: in a browser the labels just typed still read as "give
# at least two labels", and the buttons stayed hidden.
TYPED_ALREADY = "Typed them already? Text in a box counts once you click outside it (or press Ctrl+Enter)."


def _boxes_unfilled(data: dict) -> bool:
    """Whether a box the template needs is empty (or holds one label): its words may be typed but not applied yet.
    Not for a wrong setting (two labels of one name, an instruction naming no column), which typing did not cause."""
    return (("labels" in data and len(data["labels"] or []) < 2 and not data.get("examples"))
            or ("instruction" in data and not str(data["instruction"] or "").strip())
            or ("fields" in data and not data["fields"]))


def waiting_buttons() -> None:
    """Try and Run, greyed out until the settings are complete: where they will be, and why they cannot be used."""
    try_col, run_col = st.columns(2)
    why = "Complete the settings above first."
    try_col.button("Try on 5 rows", width="stretch", disabled=True, key="try-waiting", help=why)
    run_col.button("Run on all rows", type="primary", width="stretch", disabled=True, key="run-waiting", help=why)
