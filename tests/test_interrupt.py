"""A job paused or cancelled in the middle of a generative batch stops within a model call."""

from __future__ import annotations

import os

import pytest

from tests import generative_fixtures
from tests.conftest import SAMPLE_DIR
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.jobs import runner, service
from workbench.models import interrupt
from workbench.tasks.second_opinion import SecondOpinion
from workbench.tasks.spec import spec_from_dict

tiny_generator = generative_fixtures.tiny_generator
SPEC = {"task": "custom", "text": ["Body"], "instruction": "Say thanks for: {Body}", "max_words": 20}


def test_check_raises_only_inside_a_block_whose_condition_holds():
    interrupt.check()  # outside any job: nothing to ask
    with interrupt.stop_when(lambda: False, every_seconds=0):
        interrupt.check()
    with interrupt.stop_when(lambda: True, every_seconds=0), pytest.raises(interrupt.Interrupted):
        interrupt.check()
    with interrupt.stop_when(lambda: True, every_seconds=60):
        interrupt.check()  # asked again only once a minute has passed
    with interrupt.stop_when(lambda: 1 / 0, every_seconds=0):
        interrupt.check()  # a failed question (the database busy) is no reason to stop


def _running_job(settings) -> int:
    job_id = service.create_job(settings, spec_from_dict(SPEC), SAMPLE_DIR / "support_emails.csv", limit=12)
    with session_scope(settings) as session:
        assert repo.claim_job(session, job_id, os.getpid())
    return job_id


def _stopping_after(calls: int, stop, tiny_generator, monkeypatch) -> list:
    """The generator's model calls, with `stop` done at the given call."""
    made, run = [], tiny_generator._run

    def counted(*args, **kwargs):
        made.append(1)
        if len(made) == calls:
            stop()
        return run(*args, **kwargs)

    monkeypatch.setattr(tiny_generator, "_run", counted)
    return made


@pytest.mark.parametrize("stop", [service.cancel_job, service.pause_job])
def test_a_job_stopped_mid_batch_stops_at_the_next_model_call_and_keeps_no_half_batch(
        settings, tiny_generator, monkeypatch, stop):
    monkeypatch.setattr(runner, "STATUS_CHECK_SECONDS", 0)
    job_id = _running_job(settings)  # 12 rows: one batch
    made = _stopping_after(3, lambda: stop(settings, job_id), tiny_generator, monkeypatch)
    status = runner.run_job(settings, job_id, generator_loader=lambda _name=None: tiny_generator)
    assert status == {service.cancel_job: "cancelled", service.pause_job: "paused"}[stop]
    assert len(made) == 3  # the call after the stop was never made
    job = service.get_job(settings, job_id)
    assert (job.done_rows, job.failed_rows, job.runner_pid) == (0, 0, None)

    monkeypatch.setattr(tiny_generator, "_run", type(tiny_generator)._run.__get__(tiny_generator))  # uncounted
    service.resume_job(settings, job_id, runner_pid=os.getpid())
    assert runner.run_job(settings, job_id, generator_loader=lambda _name=None: tiny_generator) == "completed"
    assert service.get_job(settings, job_id).done_rows == 12


def test_a_run_stops_when_a_pause_and_resume_handed_its_job_to_another_process(settings, tiny_generator, monkeypatch):
    monkeypatch.setattr(runner, "STATUS_CHECK_SECONDS", 0)
    job_id = _running_job(settings)

    def paused_and_claimed_elsewhere():
        service.pause_job(settings, job_id)
        service.resume_job(settings, job_id, runner_pid=os.getpid() + 1)  # running again, by another process

    _stopping_after(3, paused_and_claimed_elsewhere, tiny_generator, monkeypatch)
    assert runner.run_job(settings, job_id, generator_loader=lambda _name=None: tiny_generator) == "running"
    job = service.get_job(settings, job_id)  # left to its new run: not finished, not released, no rows written
    assert (job.status, job.runner_pid, job.done_rows) == ("running", os.getpid() + 1, 0)


def test_a_job_paused_while_its_second_opinion_checks_itself_stops_there(settings, tiny_generator, tiny_loader,
                                                                          monkeypatch):
    monkeypatch.setattr(runner, "STATUS_CHECK_SECONDS", 0)
    spec = {"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"], "second_opinion": True}
    job_id = service.create_job(settings, spec_from_dict(spec), SAMPLE_DIR / "support_emails.csv")  # 64 rows: checked
    with session_scope(settings) as session:
        assert repo.claim_job(session, job_id, os.getpid())
    checking, calls_before_check = SecondOpinion.check, []

    def paused_then_checking(opinion, *args):
        service.pause_job(settings, job_id)  # while the check is about to ask the generator
        calls_before_check.append(len(made))
        return checking(opinion, *args)

    monkeypatch.setattr(SecondOpinion, "check", paused_then_checking)
    made = _stopping_after(10**6, lambda: None, tiny_generator, monkeypatch)  # counts the model calls
    status = runner.run_job(settings, job_id, generator_loader=lambda _name=None: tiny_generator,
                            encoder_loader=tiny_loader)
    assert status == "paused" and service.get_job(settings, job_id).done_rows == 0
    assert len(made) == calls_before_check[0] + 1  # the check's first model call found the pause and stopped
