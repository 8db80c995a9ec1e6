"""`custom`: your own instruction, with {column} placeholders filled from each row's columns.

A job's text is its columns joined as "Column: value" lines (io/rows.py), or the cell itself when
there is one column; the placeholders are read back from that, so the runner stays the same for
every template, reading each column's head in the order the columns were joined.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import Field, field_validator

from workbench.errors import TaskConfigError
from workbench.io.rows import split_row_text
from workbench.tasks.base import RowOutput, TaskConfig
from workbench.tasks.generative import GenerativeTask
from workbench.tasks.registry import register
from workbench.tasks.summarize import SENTENCE_END, WORD, within_words

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
        prompts = [self.chat(fill_instruction(self.config.instruction, text, self.text_columns)) for text in texts]
        replies = self.replies(prompts, self.config.max_words * 2 + 8, one_per_row=True)
        return [RowOutput({"output": within_words(self.tidied(reply), self.config.max_words)}) for reply in replies]

    def tidied(self, reply: str) -> str:
        """The reply without a column's name it echoes ("Body: …", as the prompt showed the row) and without
        sentences said again word for word."""
        return without_said_again(without_column_label(reply, self.text_columns))


def fill_instruction(instruction: str, text: str, columns: Sequence[str]) -> str:
    """The instruction with each {column} replaced by that column's value (`columns`: the text columns, in the order
    the row's text joins them); with no placeholder the text is appended."""
    names = placeholders(instruction)
    values = split_row_text(text, columns) if len(columns) > 1 else {name: text for name in names}
    # One pass, so that a value holding braces is left as the row wrote it.
    filled = BRACES.sub(lambda m: "{" + m["doubled"] + "}" if m["doubled"] is not None else values.get(m["column"], ""),
                        instruction)
    return filled if names else f"{filled.strip()}\n\nText:\n{text}"


def placeholders(instruction: str) -> list[str]:
    """The columns an instruction names, {Column}, in order (not its doubled braces, nor JSON it shows)."""
    return [m["column"] for m in BRACES.finditer(instruction) if m["column"] is not None]


def without_column_label(reply: str, columns: Sequence[str]) -> str:
    """The reply without a text column's name before it: shown "Subject: …\nBody: …", the model began its answer
    with "Body:" as if it were another column."""
    for column in columns:
        if reply.startswith(f"{column}:") and (rest := reply[len(column) + 1:].strip()):
            return rest
    return reply


# A sentence is dropped as said again when it has this many words at least: "Thank you." twice may be meant.
SAID_AGAIN_WORDS = 4


def without_said_again(reply: str) -> str:
    """The reply without the sentences it already said word for word ("We apologise for the delay." three times in
    one reply to a customer), its lines kept as they are; a line of JSON or a table's row is no sentence and stays."""
    seen, lines = set(), []
    for line in reply.split("\n"):
        sentences = [s for s in SENTENCE_END.split(line) if not _said_before(s, seen)]
        if sentences or not line.strip():
            lines.append(" ".join(sentences))
    return "\n".join(lines).strip()


def _said_before(sentence: str, seen: set[str]) -> bool:
    words = tuple(WORD.findall(sentence.casefold()))
    if len(words) < SAID_AGAIN_WORDS or not sentence.rstrip().endswith((".", "!", "?")):
        return False
    said = words in seen
    seen.add(words)
    return said
