"""The Jobs page's list: unfinished jobs first, stopped ones a page at a time, any job by its number."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.app.test_pages import demo_job, fresh_app, page  # noqa: F401 (fresh_app: each test its own settings, no worker)
from workbench.db.schema import Job
from workbench.db.session import session_scope
from workbench.ui import jobs_list


@pytest.fixture
def five_jobs(settings, monkeypatch):
    """Jobs #1-#5: #1 paused (old, still waiting on its user), the others completed; two to a page."""
    monkeypatch.setattr(jobs_list, "JOBS_PER_PAGE", 2)
    ids = [demo_job(settings) for _ in range(5)]
    with session_scope(settings) as session:
        session.execute(update(Job).values(status="completed"))
        session.execute(update(Job).where(Job.id == ids[0]).values(status="paused"))
    return ids


def listed(app) -> list[int]:
    return [int(head.value.split("Job #")[1].split(":")[0]) for head in app.subheader if "Job #" in head.value]


def turn(app, label: str):
    return next(button for button in app.button if button.label == label)


def test_unfinished_jobs_come_first_then_a_page_of_the_newest_stopped_ones(five_jobs):
    app = page("jobs.py").run()
    assert not app.exception
    assert listed(app) == [1, 5, 4]
    assert any("Finished and stopped jobs 1–2 of 4" in caption.value for caption in app.caption)
    assert turn(app, "Newer jobs").disabled and not turn(app, "Older jobs").disabled


def test_older_and_newer_pages_turn_and_the_last_one_is_not_passed(five_jobs):
    app = page("jobs.py").run()
    app = turn(app, "Older jobs").click().run()
    assert listed(app) == [1, 3, 2]
    assert turn(app, "Older jobs").disabled
    app = turn(app, "Newer jobs").click().run()
    assert listed(app) == [1, 5, 4]


def test_a_page_emptied_by_deletions_goes_to_the_last_page_left(five_jobs, settings):
    app = page("jobs.py").run()
    app = turn(app, "Older jobs").click().run()
    with session_scope(settings) as session:
        session.execute(update(Job).where(Job.id.in_([2, 3])).values(status="deleted"))
    assert listed(app.run()) == [1, 5, 4]  # the only page left


def test_deleting_the_last_pages_only_job_shows_the_page_before_it(settings, monkeypatch):
    """It went back to the first page."""
    monkeypatch.setattr(jobs_list, "JOBS_PER_PAGE", 1)
    for _ in range(3):
        demo_job(settings)
    with session_scope(settings) as session:
        session.execute(update(Job).values(status="completed"))
    app = page("jobs.py").run()
    app = turn(app, "Older jobs").click().run()
    app = turn(app, "Older jobs").click().run()
    assert listed(app) == [1]
    with session_scope(settings) as session:
        session.execute(update(Job).where(Job.id == 1).values(status="deleted"))
    assert listed(app.run()) == [2]


def test_a_job_opens_by_its_number(five_jobs):
    app = page("jobs.py").run()
    app.number_input(key="older-job").set_value(2).run()
    assert not app.exception
    assert [link.proto.label for link in app.get("page_link")].count("Open job #2") == 1


def test_few_jobs_need_no_pages(settings):
    demo_job(settings)
    app = page("jobs.py").run()
    assert listed(app) == [1]
    assert not [button for button in app.button if button.label in ("Newer jobs", "Older jobs")]
