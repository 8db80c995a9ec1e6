"""Fixtures for the generative templates: the tiny Llama built here, prepared once, and a job run through the runner."""

from __future__ import annotations

import os

import pytest

from tests.tiny_models import build_tiny_llama_source
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.jobs import service
from workbench.jobs.runner import run_job
from workbench.models.bundled import BundledPack
from workbench.models.generator import OnnxGenerator
from workbench.models.prepare import prepare_encoder
from workbench.tasks.spec import spec_from_dict

TINY_LLAMA = BundledPack(name="tiny-llama", kind="generator", package="", relative_path="", max_length=1024)


@pytest.fixture(scope="session")
def tiny_generator(tmp_path_factory) -> OnnxGenerator:
    root = tmp_path_factory.mktemp("tiny-llama-tasks")

    class _Settings:
        models_dir = root  # prepare makes its folders inside

    return OnnxGenerator(prepare_encoder(_Settings(), TINY_LLAMA, source=build_tiny_llama_source(root / "source")))


@pytest.fixture
def build_task(tiny_generator, tiny_loader):
    """A template from a task-file dict, built on the tiny generator (and the tiny encoder) and set up."""
    def build(data: dict):
        task = spec_from_dict(data).build(tiny_loader, lambda _name=None: tiny_generator)
        task.setup()
        return task
    return build


def run_through_service(settings, tiny_generator, spec_data: dict, input_path, limit: int, encoder_loader=None) -> list:
    """A job created through jobs.service and run by the job runner, as the UI and the worker do; its results."""
    job_id = service.create_job(settings, spec_from_dict(spec_data), input_path, limit=limit)
    with session_scope(settings) as session:
        assert repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id, generator_loader=lambda _name=None: tiny_generator,
                   encoder_loader=encoder_loader) == "completed"
    with session_scope(settings) as session:
        return repo.job_results(session, job_id)
