"""Errors a business user sees: each message says what happened and what to do."""


class WorkbenchError(Exception):
    """Base class: the message is shown to the user as is."""


class InputFileError(WorkbenchError):
    """The uploaded or given spreadsheet cannot be read as it is."""


class TableShapeError(InputFileError):
    """The table's rows do not fit its header row: often a title above the table taken for the header."""


class TaskConfigError(WorkbenchError):
    """A template or task file is incomplete or inconsistent."""


class NothingToScoreYet(TaskConfigError):
    """Scores asked for before any row can be scored (a job still at its first rows, no review saved): a state to
    say, not a mistake to show in red."""


class ModelNotReadyError(WorkbenchError):
    """A model is missing or not prepared yet."""


class JobStateError(WorkbenchError):
    """A job cannot move to the asked status from the one it is in."""


class NotFoundError(WorkbenchError):
    """A job, upload or template with that id does not exist."""


class StorageError(WorkbenchError):
    """The database set up for the app cannot be used (its address, its driver)."""


class SettingError(WorkbenchError):
    """A WORKBENCH_* setting holds a value the app cannot use."""


class RowsFailed(WorkbenchError):
    """Some rows of a batch cannot be answered (a text too long for the model): `errors` maps each one's position in
    the batch to why. The runner fails those rows alone and answers the others as one batch again; retried one by
    one, as for any other failure of a batch, a 64-row generative batch took minutes more."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(next(iter(errors.values()), "A row could not be answered."))
        self.errors = errors
