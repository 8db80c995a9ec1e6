"""Saved templates: a job's settings kept under a name, in versions (saving under the same name adds one; the
earlier ones stay), and exported or imported as task files (§5), so settings that worked on one file run on the
next, from the New job page or `workbench run`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from workbench.config import Settings
from workbench.db import repo
from workbench.db.schema import Template, utcnow
from workbench.db.session import session_scope
from workbench.errors import NotFoundError, TaskConfigError, WorkbenchError
from workbench.models import registry
from workbench.tasks.spec import (
    MAX_TASK_FILE_BYTES,
    TaskSpec,
    one_line_name,
    read_task_yaml,
    spec_from_dict,
    task_file_text_of,
    too_big,
)

MAX_NAME = 200


def save_template(settings: Settings, name: str, spec: TaskSpec) -> Template:
    """Keep the spec (its examples written in) as the next version of the named template."""
    spec.check_new()  # a template is for new jobs: settings no new job may have are refused now, not at its run
    name = one_line_name(name)
    if not name or len(name) > MAX_NAME:
        raise TaskConfigError(f"Give the template a name of 1 to {MAX_NAME} characters.")
    data = {key: value for key, value in spec.to_dict().items() if key != "name"}
    with session_scope(settings) as session:
        repo.hold_write_lock(session, "templates")  # the next version's number is read, then written
        # "support triage" is a version of "Support triage", not a second template one capital apart.
        saved = repo.list_templates(session)  # by name, newest version first
        name = next((t.name for t in saved if t.name.casefold() == name.casefold()), name)
        latest = next((t for t in saved if t.name == name), None)
        if latest is not None and _same_settings(latest.spec, spec):
            return latest  # the same settings again (a task file imported back): no version that changes nothing
        if latest is not None and latest.task != spec.task:
            raise TaskConfigError(f"'{name}' is a saved {latest.task} template; these settings are for {spec.task}. "
                                  "Save them under another name.")
        return repo.save_template(session, name, spec.task, data)


def _same_settings(saved: dict, spec: TaskSpec) -> bool:
    """Whether the saved settings are these, defaults written out: the New job form writes a summary's `drafts: 1`
    and a label's empty description, which a task file leaves out, and saving an opened template unchanged made a
    version that changed nothing. Descriptions are compared by their words."""
    try:
        before = spec_from_dict(saved).pinned().to_dict()
    except WorkbenchError:  # a version of an older app's rules: any settings saved now differ from it
        return False
    after = {key: value for key, value in spec.pinned().to_dict().items() if key != "name"}
    return _described_on_one_line(before) == _described_on_one_line(after)


def _described_on_one_line(settings):
    """Descriptions with their line breaks as spaces: the form shows a task file's `description: |` on one line,
    and its words, all the model reads of it, are the same."""
    if isinstance(settings, dict):
        return {key: " ".join(value.split()) if key == "description" and isinstance(value, str)
                else _described_on_one_line(value) for key, value in settings.items()}
    if isinstance(settings, list):
        return [_described_on_one_line(item) for item in settings]
    return settings


def list_templates(settings: Settings) -> list[Template]:
    """Every saved version, by name, newest version first."""
    with session_scope(settings) as session:
        return repo.list_templates(session)


def get_template(settings: Settings, template_id: int) -> Template:
    with session_scope(settings) as session:
        return _saved(session, template_id)


def _saved(session, template_id: int) -> Template:
    template = session.get(Template, template_id)
    if template is None or template.deleted_at is not None:
        raise NotFoundError(f"There is no saved template #{template_id}; the Templates page lists them.")
    return template


def delete_template_version(settings: Settings, template_id: int) -> None:
    """Take one saved version out of the lists (its number stays taken); jobs that ran with it keep their own copy of
    its settings."""
    with session_scope(settings) as session:
        _saved(session, template_id).deleted_at = utcnow()


def template_spec(template: Template) -> TaskSpec:
    return spec_from_dict({**template.spec, "name": template.name})


def missing_model_note(settings: Settings, template: Template) -> str | None:
    """Said on import: a task file may name a model of the machine it came from, which this one does not have; the
    template is kept (the model can be added), but its run would be refused."""
    spec = template_spec(template)
    name = registry.resolve_name(spec.model, spec.model_kind)
    if name in registry.BUNDLED or registry.is_prepared(registry.model_dir(settings, name)):
        return None
    return (f"'{template.name}' runs on the model '{spec.model}', which this machine does not have: add it on the "
            "Models page before running the template, or choose another model for it on New job.")


def import_task_file(settings: Settings, filename: str, content: bytes, attached: dict[str, bytes] | None = None) -> Template:
    """A task file read in as a new version of the template it names (or of its file name). Examples it reads from a
    file come from `attached` (files uploaded with it, by name); the examples are then kept in the template itself."""
    if len(content) > MAX_TASK_FILE_BYTES:
        raise TaskConfigError(too_big(filename))
    data = read_task_yaml(task_file_text_of(content, filename), filename)
    spec = _with_attached_examples(data, filename, attached or {})
    return save_template(settings, spec.name or Path(filename).stem.removesuffix(".task"), spec)


def _with_attached_examples(data, filename: str, attached: dict[str, bytes]) -> TaskSpec:
    source = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(source, dict):
        return spec_from_dict(data)
    # Only a file uploaded with the task file, by its bare name: a task file must not read other files on the server.
    name = Path(str(source.get("file", ""))).name
    if name not in attached:
        raise TaskConfigError(f"'{filename}' reads its examples from the file '{source.get('file')}': upload that file "
                              "together with the task file, or list the examples (text and label) in the task file.")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).write_bytes(attached[name])
        return spec_from_dict({**data, "examples": {**source, "file": name}}, base_dir=Path(folder))
