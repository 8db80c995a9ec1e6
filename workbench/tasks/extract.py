"""`extract`: the fields you name, read out of every row as typed, checked values.

The generator writes JSON under the fields' schema (models/guided.py), so every row's output parses;
each value is then checked and tidied for its type (tasks/fields.py). A value that fails is left
empty and the reason goes to the `extraction_errors` column, so a reviewer sees what was dropped.
A `choice` field is a classification of the row, made by the encoder as classify does, zero-shot from
the option names (the examples' choice values are not used). A `names` field holds the names the text
mentions that are nearest in meaning to it, found by the encoder among the text's capitalised words
(tasks/names.py); the generator is loaded only when some field is left for it to write.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, field_validator

from workbench.errors import TaskConfigError
from workbench.io.rows import without_column_names
from workbench.models.guided import guided_json
from workbench.tasks.base import RowOutput, Task, TaskConfig
from workbench.tasks.classify import ClassifyConfig, ClassifyTask
from workbench.tasks.fields import COPIED_TYPES, FieldSpec, Rejected, normalise, reviewed_value, schema_of
from workbench.tasks.generative import GenerativeTask, failed_rows
from workbench.tasks.names import NameFinder, NamesField
from workbench.tasks.registry import register

ERRORS_COLUMN = "extraction_errors"
# Columns the results get beside the fields: a field named `error` lost its values to the rows' errors. (A field named
# `reviewed` is placed beside the review flag, as `reviewed_result`.)
APP_COLUMNS = (ERRORS_COLUMN, "error")
# Fields the encoder fills: the generator neither writes them nor is told about them.
ENCODER_TYPES = ("choice", "names")


class ExtractExample(BaseModel):
    model_config = {"extra": "forbid"}
    text: str
    values: dict[str, Any]


class ExtractConfig(TaskConfig):
    fields: list[FieldSpec]
    examples: list[ExtractExample] = []
    # Dates such as 03/04/2024 are 3 April (Europe) rather than 4 March (United States). Dates with dots
    # (03.04.2024) are read day first, and 2024-04-03 year first, whatever this says.
    day_first: bool = False

    @field_validator("fields")
    @classmethod
    def _distinct_names(cls, fields: list[FieldSpec]) -> list[FieldSpec]:
        if not fields:
            raise ValueError("write at least one field to read out of every row, e.g. `amount (money): the amount "
                             "charged`")
        names = [f.name for f in fields]
        if len(set(names)) < len(names) or ERRORS_COLUMN in names:
            raise ValueError(f"field names must be different from each other and from '{ERRORS_COLUMN}'")
        return fields


@register
class ExtractTask(GenerativeTask):
    name = "extract"
    title = "Extract fields"
    description = "Names, amounts, dates, emails... read out of every row into columns of their own."
    config_model = ExtractConfig
    batch_size = 32  # rows per call: the generator reads them in length-sorted batches of up to 16

    @classmethod
    def check_new_spec(cls, config: ExtractConfig, columns: list[str]) -> None:
        """A field named as a column the app adds, or options on a field that is no choice (they were ignored)."""
        for field in config.fields:
            if field.name in APP_COLUMNS:
                raise TaskConfigError(f"The extract settings need fixing: '{field.name}' is a column the app adds to "
                                      f"the results ({', '.join(APP_COLUMNS)}): give the field another name.")
            if field.options and field.type != "choice":
                raise TaskConfigError(f"The extract settings need fixing: field '{field.name}' is of type {field.type}, "
                                      "and only a choice field has options: write `type: choice`, or remove them.")
        if mistake := _example_mistake(config):
            raise TaskConfigError(f"The extract settings need fixing: {mistake}")

    @classmethod
    def kind_of_model(cls, config: ExtractConfig) -> str:
        """The generator, unless names fields and the encoder's choices are all there is: the job's model is then an
        encoder. (Choices alone stay with the generator, as templates saved before names fields name one.)"""
        names_only = not _written_fields(config) and any(f.type == "names" for f in config.fields)
        return "encoder" if names_only else "generator"

    @classmethod
    def output_columns(cls, config: ExtractConfig) -> list[str]:
        return [f.name for f in config.fields] + [ERRORS_COLUMN]

    @classmethod
    def answer_choices(cls, config: ExtractConfig) -> dict[str, list[str] | None]:
        # An empty cell is a right answer too: the text may not hold the field.
        return {f.name: ["", *f.options] if f.type == "choice" else None for f in config.fields}

    @classmethod
    def reviewed_answers(cls, config: ExtractConfig, answers: dict[str, str],
                         model_answers: dict[str, Any] | None = None) -> dict[str, Any]:
        """Each typed field in the form the model's answers take (a number as a number, money as "49.99 EUR"); a value
        kept as the model wrote it stays the model's ("3.499 USD", a price per gallon, read again is 3,499)."""
        fields, model_answers = {f.name: f for f in config.fields}, model_answers or {}
        return {name: model_answers[name] if _unchanged(value, model_answers.get(name)) else
                _reviewed(fields[name], value, config.day_first) if name in fields else value
                for name, value in answers.items()}

    def setup(self) -> None:
        written = _written_fields(self.config)
        if self.kind_of_model(self.config) == "generator":
            super().setup()
        else:  # the encoder alone: batches as classify's, no small first batch (a batch takes a fraction of a second)
            self.batch_size, self.first_batch_size, self.batch_chars = Task.batch_size, Task.first_batch_size, None
        self.schema = {"type": "object", "properties": {f.name: schema_of(f) for f in written}}
        self.instruction = extraction_instruction(written, self.config.examples)
        self.choosers = {f.name: self._chooser(f) for f in self.config.fields if f.type == "choice"}
        self.name_finder = self._name_finder()

    def _name_finder(self) -> NameFinder | None:
        """The names fields, each described by its description and the names the examples give it."""
        fields = [NamesField(f.name, f.description, self._example_names(f.name)) for f in self.config.fields
                  if f.type == "names"]
        return NameFinder(self.load_encoder(self._encoder_model()).embed, fields) if fields else None

    def _encoder_model(self) -> str | None:
        """The job's model when it runs on the encoder alone; else the default encoder, beside the chosen generator."""
        return self.model if self.kind_of_model(self.config) == "encoder" else None

    def _example_names(self, field: str) -> tuple[str, ...]:
        """The names the examples give the field, as a list or as one text ("Ann; Bob", as the form and a review
        write them)."""
        values = [e.values.get(field) for e in self.config.examples]
        names = [n for value in values for item in (value if isinstance(value, list) else [value])
                 if isinstance(item, str) for n in item.split(";")]
        return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))

    def _chooser(self, field: FieldSpec) -> ClassifyTask:
        """A choice is a classification of the row: the encoder compares it with each option, zero-shot as
        classify does. The bundled generator gave all 64 sample emails the same topic; this, 53 right."""
        chooser = ClassifyTask(ClassifyConfig(labels=field.options), self.load_encoder, self._encoder_model())
        chooser.setup()
        return chooser

    def adapt(self, texts: list[str]) -> None:
        for chooser in self.choosers.values():
            chooser.adapt(texts)

    def forget_seen_rows(self) -> None:
        for chooser in self.choosers.values():
            chooser.forget_seen_rows()
        if self.name_finder:
            self.name_finder.known.clear()  # a row timed alone reads its names again, as a new row would

    def run_batch(self, texts: list[str]) -> list[RowOutput]:
        sources = [self.copy_source(t) for t in texts]
        written = self._written(texts, sources)
        chosen = {name: chooser.run_batch(texts) for name, chooser in self.choosers.items()}
        named = self.name_finder.find(sources) if self.name_finder else [{} for _ in texts]
        return [self.checked({**values, **named[i], **{name: rows[i].outputs["label"] for name, rows in chosen.items()}},
                             text) for i, (values, text) in enumerate(zip(written, texts, strict=True))]

    def _written(self, texts: list[str], sources: list[str]) -> list[dict]:
        """The values the generator writes, under the schema of every field but the encoder's, copied from `sources`."""
        if not self.schema["properties"]:
            return [{} for _ in texts]
        prompts = [self.chat(f"{self.instruction}\n\nText:\n{text}\n\nJSON:") for text in texts]
        rows = guided_json(self.generator, prompts, self.schema, sources=sources)
        failed_rows(rows)  # the runner fails those rows alone, and answers the others together again
        return [json.loads(row.text) for row in rows]

    def copy_source(self, text: str) -> str:
        """What values may be copied from: the row's text without its column names ("Subject: …\nBody: …");
        the model copied "Body" as a product."""
        return without_column_names(text, self.text_columns)

    def checked(self, values: dict, text: str) -> RowOutput:
        outputs, errors = {}, []
        for field in self.config.fields:
            try:
                outputs[field.name] = normalise(field, values.get(field.name), text, self.config.day_first)
            except (Rejected, ValueError, TypeError) as exc:
                outputs[field.name] = getattr(exc, "kept", None)
                errors.append(f"{field.name}: {self._reason(field, values.get(field.name), exc)}")
        return RowOutput({**outputs, ERRORS_COLUMN: "; ".join(errors) or None})

    def _reason(self, field: FieldSpec, value: Any, exc: Exception) -> str:
        """Why a value was dropped; the small model often repeats an example's value, and saying so tells the user
        what to change (an example without that field, or more examples)."""
        if value is not None and any(e.values.get(field.name) == value for e in self.config.examples):
            return f"{value!r} is the example's value, not in this text (left empty)"
        return str(exc)


def _example_mistake(config: ExtractConfig) -> str | None:
    """An example's value for a field there is not (a typo: the example was left out without a word), or a choice it
    does not offer."""
    fields = {f.name: f for f in config.fields}
    for number, example in enumerate(config.examples, 1):
        for name, value in example.values.items():
            if name not in fields:
                return f"example {number} gives a value for '{name}', which is no field; the fields are {', '.join(fields)}"
            if _not_an_option(fields[name], value):
                return (f"example {number} gives '{name}' the value '{value}', which is not one of its options "
                        f"({', '.join(fields[name].options)})")
    return None


def _not_an_option(field: FieldSpec, value: Any) -> bool:
    options = {option.casefold() for option in field.options}
    return field.type == "choice" and value not in (None, "") and str(value).casefold() not in options


def _written_fields(config: ExtractConfig) -> list[FieldSpec]:
    return [f for f in config.fields if f.type not in ENCODER_TYPES]


def extraction_instruction(fields: list[FieldSpec], examples: list[ExtractExample]) -> str:
    lines = ["Extract these fields from the text as JSON. Copy values exactly as written in the text; "
             "write \"\" when the text does not give a field."]
    for field in fields:
        kind = f"one of {', '.join(field.options)}" if field.type == "choice" else field.type
        lines.append(f"- {field.name} ({kind}){': ' + field.description if field.description else ''}")
    for example in _examples_for(fields, examples):
        filled = {f.name: _as_written(f, example.values.get(f.name)) for f in fields}
        lines.append(f"\nExample text:\n{example.text}\nJSON: {json.dumps(filled, ensure_ascii=False)}")
    return "\n".join(lines)


def _as_written(field: FieldSpec, value):
    """An example's value as the model writes it under the schema: a copied number is a string ("5531")."""
    return str(value) if field.type in COPIED_TYPES and isinstance(value, int | float) else value


def _examples_for(fields: list[FieldSpec], examples: list[ExtractExample]) -> list[ExtractExample]:
    """The examples that show the generator something: a value of one of its fields, or no value at all (a text with
    nothing to extract). An example for the names or choice fields only would teach it to leave its fields empty."""
    names = {f.name for f in fields}
    return [e for e in examples if not any(e.values.values()) or any(e.values.get(n) for n in names)]


def _unchanged(typed: str, model_answer: Any) -> bool:
    return model_answer is not None and str(typed).strip() == str(model_answer).strip()


def _reviewed(field: FieldSpec, value: str, day_first: bool) -> Any:
    try:
        return reviewed_value(field, value, day_first)
    except ValueError as mistake:
        raise TaskConfigError(f"{field.name}: {mistake}.") from None
