"""Templates register here; built-ins use the same path an extension would."""

from __future__ import annotations

from workbench.errors import TaskConfigError
from workbench.tasks.base import Task

_TASKS: dict[str, type[Task]] = {}


def register(task_class: type[Task]) -> type[Task]:
    _TASKS[task_class.name] = task_class
    return task_class


def get_task_class(name: str) -> type[Task]:
    _load_builtins()
    if name not in _TASKS:
        raise TaskConfigError(f"Unknown task '{name}'. Available tasks: {', '.join(sorted(_TASKS))}.")
    return _TASKS[name]


# The order the New job page offers them in (the first is its default); extensions follow, by name.
BUILTIN_ORDER = ("classify", "route", "extract", "summarize", "custom")


def task_classes() -> dict[str, type[Task]]:
    """Every template, the built-ins in their fixed order: registration order follows whichever module a process
    happened to import first (a test importing summarize made it the New job page's default)."""
    _load_builtins()
    order = [*BUILTIN_ORDER, *sorted(set(_TASKS) - set(BUILTIN_ORDER))]
    return {name: _TASKS[name] for name in order if name in _TASKS}


def _load_builtins() -> None:
    import workbench.tasks.classify  # noqa: F401  (registers itself on import)
    import workbench.tasks.custom  # noqa: F401
    import workbench.tasks.extract  # noqa: F401
    import workbench.tasks.route  # noqa: F401
    import workbench.tasks.summarize  # noqa: F401
