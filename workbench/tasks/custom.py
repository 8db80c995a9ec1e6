"""`custom`: your own instruction, with {column} placeholders filled from each row's columns.

A job's text is its columns joined as "Column: value" lines (io/rows.py), or the cell itself when
there is one column; the placeholders are read back from that, so the runner stays the same for
every template. Choose as text columns the columns the instruction names: a chosen column the
instruction does not name is read as the end of the named column before it.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from workbench.errors import TaskConfigError
from workbench.tasks.base import RowOutput, TaskConfig
from workbench.tasks.generative import GenerativeTask
from workbench.tasks.registry import register
from workbench.tasks.summarize import within_words

# {Column}; braces holding a quote are JSON the instruction shows the model ({"sentiment": "positive"}), kept as written,
# and doubled braces are braces the model is to see: "Answer {{yes/no}}" asks with "{yes/no}".
BRACES = re.compile(r"\{\{(?P<doubled>[^{}]*)\}\}|\{(?P<column>[^{}\"]+)\}")
EMPTY_PLACEHOLDER = re.compile(r"\{\s*\}")  # a placeholder whose column was left out


class CustomConfig(TaskConfig):
    instruction: str = Field(default="", validate_default=True)  # missing or empty: say what to write
    max_words: int = Field(default=60, ge=1, le=400)

    @field_validator("instruction")
    @classmethod
    def _has_words(cls, value: str) -> str:
        if len(value.strip()) < 3:
            raise ValueError("write what the model should do with each row, e.g. 'Translate {Body} to French'")
        return value


@register
class CustomTask(GenerativeTask):
    name = "custom"
    title = "Custom instruction"
    description = "Your own instruction run on every row, e.g. 'Translate {Body} to French'."
    config_model = CustomConfig

    @classmethod
    def output_columns(cls, config: CustomConfig) -> list[str]:
        return ["output"]

    @classmethod
    def check_new_spec(cls, config: CustomConfig, columns: list[str]) -> None:
        """Every {placeholder} must be a chosen text column: the row's text holds no other, so a misspelt or
        unchosen one would be filled with nothing (or, with one column, the whole text) without a word."""
        if EMPTY_PLACEHOLDER.search(config.instruction):
            raise TaskConfigError("The custom settings need fixing: the instruction has an empty {} — write the column "
                                  f"it stands for inside the braces, e.g. {{{columns[0]}}}.")
        unknown = [name for name in dict.fromkeys(placeholders(config.instruction)) if name not in columns]
        if unknown:
            named = ", ".join(f"{{{name}}}" for name in unknown)
            one = len(unknown) == 1
            raise TaskConfigError(f"The custom settings need fixing: the instruction names {named}, which {'is' if one else 'are'} not among the "
                                  f"text columns ({', '.join(columns)}). Choose {'that column' if one else 'those columns'}"
                                  " as text columns, or write the placeholder as the column is spelt. Braces that "
                                  "are not a column are written doubled: {{yes/no}}.")

    def run_batch(self, texts: list[str]) -> list[RowOutput]:
        prompts = [self.chat(fill_instruction(self.config.instruction, text)) for text in texts]
        replies = self.replies(prompts, self.config.max_words * 2 + 8)
        return [RowOutput({"output": within_words(reply, self.config.max_words)}) for reply in replies]


def fill_instruction(instruction: str, text: str) -> str:
    """The instruction with each {column} replaced by that column's value; with no placeholder the text is appended."""
    names = placeholders(instruction)
    values = column_values(text, names) if names else {}
    # One pass, so that a value holding braces is left as the row wrote it.
    filled = BRACES.sub(lambda m: "{" + m["doubled"] + "}" if m["doubled"] is not None else values.get(m["column"], ""),
                        instruction)
    return filled if names else f"{filled.strip()}\n\nText:\n{text}"


def placeholders(instruction: str) -> list[str]:
    """The columns an instruction names, {Column}, in order (not its doubled braces, nor JSON it shows)."""
    return [m["column"] for m in BRACES.finditer(instruction) if m["column"] is not None]


def column_values(text: str, names: list[str]) -> dict[str, str]:
    """Each named column's value in a joined row text; a one-column row is its text under every name."""
    heads = "|".join(re.escape(name) for name in sorted(set(names), key=len, reverse=True))
    parts = re.split(rf"(?m)^({heads}): ", text)
    if len(parts) == 1:
        return {name: text for name in names}
    found = dict(zip(parts[1::2], (value.rstrip("\n") for value in parts[2::2]), strict=True))
    return {name: found.get(name, "") for name in names}
