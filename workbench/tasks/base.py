"""The contract every task template follows: a config model, a setup step, and a batch function."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from workbench.models.encoder import OnnxEncoder

if TYPE_CHECKING:
    from workbench.models.generator import OnnxGenerator

# Columns about an answer rather than answers: a reviewer corrects the answer, not how sure the model was of it.
NOT_ANSWERS = ("confidence", "needs_review")

EncoderLoader = Callable[[str | None], OnnxEncoder]
GeneratorLoader = Callable[[str | None], "OnnxGenerator"]


class WrittenSettings(BaseModel):
    """Settings a user writes: a key the template does not know is an error, not a silent default, and a number is a
    finite number. (Not config.Settings, the app's own.)"""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TaskConfig(WrittenSettings):
    """Base for template settings."""


@dataclass
class RowOutput:
    outputs: dict[str, Any]
    confidence: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)


class Task(ABC):
    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    config_model: ClassVar[type[TaskConfig]]
    batch_size: ClassVar[int] = 64
    # Rows in a run's first batch, when a full batch takes long: the first rows, rate and time left show early.
    first_batch_size: ClassVar[int | None] = None
    # Characters a batch holds at most (a longer row is a batch alone), the first batch its share of them; None: no
    # limit. A batch is saved whole, so rows of long texts in a full batch kept a job's progress still for minutes.
    batch_chars: ClassVar[int | None] = None
    # The kind of model the spec's `model` names: an encoder (embeddings) or a generator (writes text).
    model_kind: ClassVar[str] = "encoder"
    # The output column the confidence is about, which examples teach (classify: label); None: no such answer.
    scored_answer: ClassVar[str | None] = None

    def __init__(self, config: TaskConfig, load_encoder: EncoderLoader, model: str | None = None,
                 load_generator: GeneratorLoader | None = None, text_columns: tuple[str, ...] = ()):
        self.config = config
        self.load_encoder = load_encoder
        self.model = model
        self.text_columns = text_columns  # the columns each row's text was joined from (io/rows.py)
        # Generative templates need the generator; encoder templates never call it, so it may be absent.
        self.load_generator = load_generator or _no_generator
        # What the template found while setting up or adapting that the user should know (shown with the job).
        self.notes: list[str] = []

    @classmethod
    def kind_of_model(cls, config: TaskConfig) -> str:
        """The kind of model a job of these settings runs on, which its `model` names (default: the template's)."""
        return cls.model_kind

    @classmethod
    def generator_of(cls, config: TaskConfig, model: str | None) -> str | None:
        """The generator a job of these settings loads (a registered name, or "default"), None if it loads none."""
        return model or "default" if cls.kind_of_model(config) == "generator" else None

    @classmethod  # noqa: B027 (optional hook, not abstract)
    def check_new_spec(cls, config: TaskConfig, columns: list[str]) -> None:
        """Raise TaskConfigError for rules a new job's settings must follow beyond their own validation (default:
        none). Kept apart so a job stored before a rule was added still resumes and shows its results."""

    @classmethod  # noqa: B027 (optional hook, not abstract)
    def check_new_settings_as_written(cls, written: dict) -> None:
        """As check_new_spec, for what the settings say as written, before validation reads them (default: none)."""

    @classmethod
    @abstractmethod
    def output_columns(cls, config: TaskConfig) -> list[str]:
        """Names of the columns this template adds to every row."""

    @classmethod
    def answer_choices(cls, config: TaskConfig) -> dict[str, list[str] | None]:
        """The columns a reviewer may correct, each with the values it may take (None: any text). Default: every
        output column but the ones that say how sure the template was."""
        return {column: None for column in cls.output_columns(config) if column not in NOT_ANSWERS}

    @classmethod
    def reviewed_answers(cls, config: TaskConfig, answers: dict[str, str],
                         model_answers: dict[str, Any] | None = None) -> dict[str, str]:
        """A reviewer's answers (the model's own beside them), checked beyond answer_choices and made consistent
        (default: as given)."""
        return answers

    def setup(self) -> None:  # noqa: B027 (optional hook, not abstract)
        """Work done once per job before the first batch (embedding labels, fitting on examples).

        Optional: templates with nothing to prepare keep this default.
        """

    def adapt(self, texts: list[str]) -> None:  # noqa: B027 (optional hook, not abstract)
        """Learn from a sample of the job's own (unlabelled) texts, after setup and before the first batch.

        The sample is the same on every run of a job (its first rows), so a resumed job answers as
        an uninterrupted one. Optional: templates that cannot use it keep this default.
        """

    def knows(self, texts: list[str]) -> bool:
        """Whether these rows were answered while adapting (their batches then take no time worth timing)."""
        return False

    def forget_seen_rows(self) -> None:  # noqa: B027 (optional hook, not abstract)
        """Drop what adapt() kept of the job's rows to spare work later, so a row is answered as a new one would be
        (a comparison times rows one at a time this way). Templates that keep nothing keep this default."""

    @abstractmethod
    def run_batch(self, texts: list[str]) -> list[RowOutput]:
        """One output per input text, in the same order."""


def _no_generator(_name: str | None):
    raise TypeError("This task was built without a generator loader; pass load_generator to TaskSpec.build.")
