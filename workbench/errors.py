"""Errors a business user sees: each message says what happened and what to do."""


class WorkbenchError(Exception):
    """Base class: the message is shown to the user as is."""


class InputFileError(WorkbenchError):
    """The uploaded or given spreadsheet cannot be read as it is."""


class TaskConfigError(WorkbenchError):
    """A template or task file is incomplete or inconsistent."""


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
