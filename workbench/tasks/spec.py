"""A task spec: which template, which input columns, which model, and the template's settings.

The same spec comes from the New job page, a saved template or a YAML task file, and a job keeps a
snapshot of it, with examples read in and every default written out (`TaskSpec.pinned`), so it can always be
resumed or re-run as it was, whatever a later version changes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from workbench.errors import TaskConfigError, WorkbenchError
from workbench.io import read_table
from workbench.io.rows import examples_from_table
from workbench.tasks.base import Task, TaskConfig
from workbench.tasks.registry import get_task_class, task_classes

COMMON_KEYS = ("task", "text", "model", "name")


class TaskSpec(BaseModel):
    task: str
    text: list[str]
    model: str = "default"
    name: str | None = None
    config: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The flat form used in task files and job snapshots."""
        head = {"task": self.task, "text": self.text, "model": self.model}
        return {**head, **({"name": self.name} if self.name else {}), **self.config}

    def validated_config(self) -> TaskConfig:
        return validate_config(self.task, self.config)

    def pinned(self) -> TaskSpec:
        """The spec with every setting written out, defaults included. A job keeps this, so resuming or
        re-running it after an update that changed a default (4 drafts per summary instead of 1) still runs
        it as it was created, instead of mixing rows made both ways."""
        return self.model_copy(update={"config": self.validated_config().model_dump(mode="json")})

    def check_new(self) -> TaskSpec:
        """The spec, if a new job may be made of it (the template's rules for new settings, see Task.check_new_spec)."""
        if repeated := sorted({c for c in self.text if self.text.count(c) > 1}):
            raise TaskConfigError(f"The text column '{repeated[0]}' is named twice in `text`: name each column once.")
        config = self.validated_config()
        if flag := _flag_for_a_number(self.config, config):
            raise TaskConfigError(f"The {self.task} settings need fixing: {flag}")
        get_task_class(self.task).check_new_settings_as_written(self.config)
        get_task_class(self.task).check_new_spec(config, self.text)
        return self

    def output_columns(self) -> list[str]:
        return get_task_class(self.task).output_columns(self.validated_config())

    @property
    def model_kind(self) -> str:
        """The kind of model `model` names: an encoder or a generator (extract with every field filled by the
        encoder runs on the encoder alone)."""
        return get_task_class(self.task).kind_of_model(self.validated_config())

    @property
    def generator(self) -> str | None:
        """The generator a job of this spec loads (a registered name, or "default"); None if it needs none."""
        return get_task_class(self.task).generator_of(self.validated_config(), self.model)

    def answer_choices(self) -> dict[str, list[str] | None]:
        return get_task_class(self.task).answer_choices(self.validated_config())

    def reviewed_answers(self, answers: dict[str, str], model_answers: dict[str, Any] | None = None) -> dict[str, str]:
        return get_task_class(self.task).reviewed_answers(self.validated_config(), answers, model_answers)

    def build(self, load_encoder, load_generator=None) -> Task:
        return get_task_class(self.task)(self.validated_config(), load_encoder, self.model, load_generator,
                                         tuple(self.text))


def spec_from_dict(data: dict[str, Any], base_dir: Path | None = None) -> TaskSpec:
    if not isinstance(data, dict) or "task" not in data:
        raise TaskConfigError("A task file must say which task to run, e.g. `task: classify`.")
    data = dict(data)
    common = {key: data.pop(key) for key in COMMON_KEYS if key in data}
    text = common.get("text")
    if not text:
        raise TaskConfigError("Say which column(s) hold the text, e.g. `text: Body` or `text: [Subject, Body]`.")
    if isinstance(data.get("examples"), dict):
        _check_examples_file_is_for(str(common["task"]))
        data["examples"] = _examples_from_file(data["examples"], base_dir or Path.cwd())
    columns = _text_columns(text)
    _check_single(common, "task", "e.g. `task: classify`")
    _check_single(common, "model", "e.g. `model: default`, or a name `workbench models list` shows")
    _check_single(common, "name", "e.g. `name: Support routing`")
    name = one_line_name(str(common["name"])) if common.get("name") is not None else None
    spec = TaskSpec(task=str(common["task"]), text=columns, model=str(common.get("model") or "default"),
                    name=name or None, config=data)
    # Numbers as numbers: a task file's `threshold: 0.5` is read as written ("0.5"), and a template imported from it
    # then differed from the same settings saved from the page, so saving them again made a version that changed nothing.
    return spec.model_copy(update={"config": _with_typed_numbers(data, spec.validated_config())})


_NOT_IN_A_NAME = re.compile(r"[\s\x00-\x1f\x7f]+")


def one_line_name(name: str) -> str:
    """A job's or template's name as one line of visible text: a NUL, tab or line break in it (pasted, or `\\0` in a
    task file) is a space. PostgreSQL refused a NUL, and the app then called the database damaged."""
    return _NOT_IN_A_NAME.sub(" ", name).strip()


def _check_single(common: dict[str, Any], key: str, example: str) -> None:
    """`task: [classify]` read as the task "['classify']"."""
    if isinstance(common.get(key), list | tuple | dict):
        raise TaskConfigError(f"`{key}` takes one name, {example}.")


def _text_columns(text: Any) -> list[str]:
    # YAML reads a header such as 2024 as a number; column names are always text.
    columns = text if isinstance(text, (list, tuple)) else [text]
    if not all(isinstance(column, str | int | float) for column in columns):
        raise TaskConfigError("`text` names the column(s) that hold the text, e.g. `text: Body` or "
                              "`text: [Subject, Body]`.")
    # Spaces around a name are none of it: the file's headers are read without them ("Body " found no column).
    return [str(column).strip() for column in columns]


def _flag_for_a_number(raw: dict[str, Any], settings: BaseModel) -> str | None:
    """Where true/false was given for a number (`threshold: true` read as 1.0 and flagged every row). New settings
    only: a job stored with it still opens."""
    return next((f"{', '.join(place)}: should be a number, not {str(value).lower()}"
                 for place, value, checked in _given_and_read(raw, settings)
                 if isinstance(value, bool) and isinstance(checked, int | float) and not isinstance(checked, bool)), None)


def _with_typed_numbers(raw: dict[str, Any], settings: BaseModel) -> dict[str, Any]:
    """The settings as given, with each number or flag written as text (and a group's, such as summary's max_words) as
    its value. true/false given for a number stays as given, for check_new to refuse."""
    typed = {key: dict(value) if isinstance(value, dict) else value for key, value in raw.items()}
    for place, value, checked in _given_and_read(raw, settings):
        if isinstance(value, str) and isinstance(checked, int | float):  # "0.5", and a flag's "yes" (bool is an int)
            group = typed
            for key in place[:-1]:
                group = group[key]
            group[place[-1]] = checked
    return typed


def _given_and_read(raw: dict[str, Any], settings: BaseModel, place: tuple[str, ...] = ()):
    """Each setting as written and as validated, with its place: ("summary", "max_words"). A group of settings (a
    dict read as a model) is entered; lists (labels, examples) are left as they are."""
    for key, value in raw.items():
        checked = getattr(settings, key, None)
        if isinstance(checked, BaseModel) and isinstance(value, dict):
            yield from _given_and_read(value, checked, (*place, key))
        else:
            yield (*place, key), value, checked


class _TaskFileLoader(yaml.SafeLoader):
    """YAML where only true/false are booleans, and numbers and dates stay as written: labels such as `yes`, `no`,
    `on`, `off` stay words, and `0123`, `1.10`, `2024-03-05` stay what the user typed (they became 83, 1.1 and a
    date). The settings read them as numbers where they are numbers (threshold: 0.5)."""


    def construct_mapping(self, node, deep=False):
        """A setting given twice is refused: YAML would keep the last silently, and a second `labels:` block
        would drop every label of the first."""
        seen = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _RepeatedKey(key, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


class _RepeatedKey(yaml.YAMLError):
    def __init__(self, key: str, mark: yaml.Mark):
        super().__init__(f"'{key}' is given twice")
        self.key, self.mark = key, mark


_AS_WRITTEN = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
               "tag:yaml.org,2002:timestamp"}
_TaskFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _AS_WRITTEN]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TaskFileLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                      list("tTfF"))


def read_task_yaml(text: str, name: str) -> dict[str, Any]:
    """A task file's text as data, with only true/false read as booleans."""
    try:
        return yaml.load(text, Loader=_TaskFileLoader)
    except _RepeatedKey as exc:
        raise TaskConfigError(f"'{name}' gives '{exc.key}' twice (the second at line {exc.mark.line + 1}). "
                              "Keep one of them, with everything it should hold.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = str(getattr(exc, "problem", None) or exc)
        if "'\\t'" in problem:  # YAML indents with spaces only; an editor's tab key wrote tabs
            raise TaskConfigError(f"'{name}' is indented with a tab{where}: YAML takes spaces only. Indent with "
                                  "spaces (2 a level) instead.") from None
        raise TaskConfigError(f"'{name}' is not valid YAML{where}: {problem}. "
                              "Check the indentation and that every list and quote is closed.") from None


def task_file_text(spec: TaskSpec) -> str:
    """The spec as a task file (§5): what `workbench run` and a template import read back as the same spec."""
    return yaml.safe_dump(spec.to_dict(), sort_keys=False, allow_unicode=True, width=100)


# Files that are data, not a task: given first, the order of `workbench run`'s arguments was swapped.
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")


def load_task_file(path: Path) -> TaskSpec:
    path = Path(path)
    if path.suffix.lower() in DATA_SUFFIXES:
        raise TaskConfigError(f"'{path.name}' is a data file, not a task file: the task file (.yaml) comes first, "
                              "`workbench run TASK.yaml INPUT -o OUTPUT`.")
    try:
        data = read_task_yaml(_task_file_text(path), path.name)
    except FileNotFoundError:
        raise TaskConfigError(f"The task file '{path}' does not exist.") from None
    except OSError:
        raise TaskConfigError(
            f"'{path}' cannot be read as a task file (a YAML text file). "
            "Check the order: `workbench run TASK.yaml INPUT -o OUTPUT`."
        ) from None
    return spec_from_dict(data, base_dir=path.parent)


def examples_file_of(path: Path) -> dict[str, Path]:
    """The examples file a task file names, if any, by what it is to the user: results written over it would lose the
    user's labelled examples (read after load_task_file has checked the task file; a .yaml is never an output)."""
    path = Path(path)
    examples = read_task_yaml(_task_file_text(path), path.name).get("examples")
    has_file = isinstance(examples, dict) and "file" in examples
    return {"the task file's examples file": path.parent / str(examples["file"])} if has_file else {}


def _task_file_text(path: Path) -> str:
    if path.is_file() and path.stat().st_size > MAX_TASK_FILE_BYTES:
        raise TaskConfigError(too_big(path.name))
    return task_file_text_of(path.read_bytes(), path.name)


def task_file_text_of(raw: bytes, name: str = "The task file") -> str:
    """A task file's text: UTF-8, or UTF-16 with its byte-order mark (as Windows Notepad may save it). Text in
    another encoding (Windows-1252's "Café") is refused with how to save it; what is no text, as no task file."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise TaskConfigError(f"'{name}' is not a task file: a task file is YAML text.") from None
    if b"\x00" in raw[:4096] or sum(b < 9 or 13 < b < 32 for b in raw[:4096]) > min(len(raw), 4096) * 0.1:
        raise TaskConfigError(f"'{name}' is not a task file: a task file is YAML text.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise TaskConfigError(f"'{name}' is text in another encoding than UTF-8 (line {line} holds "
                              f"'{raw[exc.start:exc.start + 1].decode('cp1252', 'replace')}', as Windows-1252 "
                              "writes it). Save it again as UTF-8: in Notepad, Save as → Encoding: UTF-8.") from None


# Settings and a few examples take kilobytes; a 24 MB file of 100,000 labels took minutes to import and froze New job.
MAX_TASK_FILE_BYTES = 2_000_000


def too_big(name: str) -> str:
    return (f"'{name}' is over {MAX_TASK_FILE_BYTES // 1_000_000} MB, too big for a task file: keep many examples "
            "in a file of their own (`examples: {file: …, text: …, label: …}`).")


def validate_config(task: str, config: dict[str, Any]) -> TaskConfig:
    task_class = get_task_class(task)
    try:
        return task_class.config_model.model_validate(config)
    except ValidationError as exc:
        raise TaskConfigError(f"The {task} settings need fixing: {_describe(exc, task)}") from None


# pydantic's wording for the mistakes a form or task file in progress makes, in words a business user reads.
PLAIN_MESSAGES = {
    "extra_forbidden": "is not a setting of this task (check the spelling)",
    "too_short": "is empty: give at least {min_length}",
    "string_too_short": "is too short: write at least {min_length} characters",
    "missing": "is missing",
    "literal_error": "should be one of {expected}",
    "float_parsing": "should be a number, such as 0.5",
    "int_parsing": "should be a whole number, such as 40",
    "int_from_float": "should be a whole number, such as 40",
    "finite_number": "should be a number, not nan or infinity",
    "greater_than_equal": "should be at least {ge}",
    "greater_than": "should be more than {gt}",
    "less_than_equal": "should be at most {le}",
    "dict_type": "should be written as settings, `name: value`, one per line under it",
    "model_type": "should be written as settings, `name: value`, one per line under it",
    "model_attributes_type": "should be written as settings, `name: value`, one per line under it",
    "list_type": "should be a list: `[a, b]`, or one `- item` per line under it",
    "string_type": "should be a single text, not a list or a group of settings",
    "bool_parsing": "should be true or false",
    "bool_type": "should be true or false",
    "float_type": "should be a number, such as 0.5",
    "int_type": "should be a whole number, such as 40",
}
# How a group of settings is written, where a single value was given.
WRITTEN_AS = {"summary": "`summary: {style: short, max_words: 30}`", "priority": "`priority: {urgent: [refund, asap]}`",
              "fields": "one `- {name: amount, type: money}` per field", "examples": "`- {text: …, label: …}`",
              "labels": "`labels: [billing, shipping]`"}


def _describe(exc: ValidationError, task: str) -> str:
    run_options = _run_options_given(exc.errors())
    parts = [run_options] if run_options else []
    for error in exc.errors():
        if run_options and error["type"] == "extra_forbidden" and error["loc"][0] in RUN_OPTIONS:
            continue
        where = _place(error["loc"])
        said = _of_another_task(error, task) or _plain(error)
        parts.append(f"{where}: {said}" if where else said)  # a rule about the settings as a whole
    return "; ".join(parts)


def _of_another_task(error: dict, task: str) -> str | None:
    """A setting of other templates, given to this one: spelt right, so "check the spelling" misled (a file copied
    from PRODUCT.md's example, with `fields` and `summary`, run as route)."""
    if error["type"] != "extra_forbidden" or len(error["loc"]) != 1:
        return None
    others = [name for name, task_class in task_classes().items()
              if name != task and error["loc"][0] in task_class.config_model.model_fields]
    return f"is a setting of {' and '.join(others)}, not of {task}: remove it, or change `task:`" if others else None


# What a run is given on the command line (or the New job page), which people write into the task file too.
RUN_OPTIONS = {"input": "", "output": "", "input_file": "", "output_file": "", "sheet": " --sheet NAME",
               "limit": " --limit ROWS", "header_row": " --header-row N"}


def _run_options_given(errors: list[dict]) -> str | None:
    """One sentence for every setting of a run written into the task file: each said "check the spelling"."""
    given = [error["loc"][0] for error in errors if error["type"] == "extra_forbidden" and len(error["loc"]) == 1
             and error["loc"][0] in RUN_OPTIONS]
    if not given:
        return None
    return (f"{', '.join(given)}: {'is' if len(given) == 1 else 'are'} given when a job is run, not in a task file "
            f"(`workbench run TASK_FILE INPUT -o OUTPUT{''.join(RUN_OPTIONS[g] for g in given)}`, or the New job "
            "page): remove " + ("it" if len(given) == 1 else "them") + " from the file")


def _plain(error: dict) -> str:
    if error["type"] == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return "is empty"
    plain = PLAIN_MESSAGES.get(error["type"])  # a template of ours; the validators' own words may hold {braces}
    if plain is None:
        return error["msg"].removeprefix("Value error, ")
    if error["loc"][:1] == ("labels",) and len(error["loc"]) == 2 and error["type"] in LIKE_A_GROUP:
        return "should be a name, such as `billing`, or `{name: billing, description: …}`"
    group = next((name for name in reversed(error["loc"]) if name in WRITTEN_AS), None)
    example = f" (e.g. {WRITTEN_AS[group]})" if group and error["type"] in LIKE_A_GROUP else ""
    return plain.format(**error.get("ctx", {})) + example


LIKE_A_GROUP = {"dict_type", "model_type", "model_attributes_type", "list_type"}


def _place(loc: tuple) -> str:
    """Where a mistake is, as a reader counts: ("fields", 0, "type") -> "field 1, type"."""
    words: list[str] = []
    for part in loc:
        if isinstance(part, int) and words:
            words[-1] = f"{words[-1].removesuffix('s')} {part + 1}"
        else:
            words.append(str(part))
    return ", ".join(words)


EXAMPLES_FILE_KEYS = ("file", "sheet", "text", "label")


def _check_examples_file_is_for(task: str) -> None:
    """An examples file holds labelled rows: classify's and route's examples. Others' are written in the task file
    (each row's error was listed instead, 1,876 characters that never said so)."""
    get_task_class(task)  # "Unknown task 'clasify'", before telling the user to remove their examples
    if task not in ("classify", "route"):
        raise TaskConfigError("An examples file (`examples: {file: …}`) gives classify and route labelled rows; " + (
            "extract's examples are written in the task file: `examples:` then `- text: …` with `values: {field: "
            "value, …}` for each example." if task == "extract" else f"{task} takes no examples: remove `examples`."))


def _examples_from_file(source: dict[str, Any], base_dir: Path) -> list[dict[str, str]]:
    """`examples: {file, sheet (optional), text, label}`: the labelled rows of another file or sheet."""
    missing = {"file", "text", "label"} - set(source)
    if missing:
        raise TaskConfigError(f"examples needs `file`, `text` and `label`; missing: {', '.join(sorted(missing))}.")
    unknown = [str(key) for key in source if key not in EXAMPLES_FILE_KEYS]
    if unknown:
        raise TaskConfigError(f"examples: {', '.join(unknown)} is not a setting of an examples file; its settings are "
                              f"{', '.join(EXAMPLES_FILE_KEYS)}.")
    text, path = source["text"], base_dir / str(source["file"])
    sheet = None if source.get("sheet") is None else str(source["sheet"])
    try:
        return examples_from_table(read_table(path, sheet=sheet), [text] if isinstance(text, str) else text,
                                   str(source["label"]))
    except WorkbenchError as exc:
        raise type(exc)(f"The examples file '{source['file']}'{_of_sheet(sheet)}: {exc}") from None


def _of_sheet(sheet: str | None) -> str:
    return f" (sheet '{sheet}')" if sheet else ""
