"""Schemathesis generates requests from /openapi.json — valid and invalid — for every API
operation and checks each answer: no 5xx, status codes, content types and bodies as the schema
documents them. It runs in-process against the real app on a copy of the shared trained home
(so reports, lineage and eval pages have real data) with a write token; queued jobs are not
started (no worker), so fuzzing never trains."""
from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from forge.api import create_app
from forge.service import Forge, load_settings

pytestmark = pytest.mark.slow
EXAMPLES = 25  # per operation: ~30 operations, a few seconds each on two cores


@pytest.fixture(scope="module")
def fuzz_home(trained, tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz") / "home"
    shutil.copytree(trained.home, home)
    return home


@pytest.fixture(scope="module")
def api_schema(fuzz_home, trained):
    forge = Forge(load_settings(fuzz_home))
    app = create_app(forge, host="127.0.0.1", start_job=lambda job_id: {"runner": "none (fuzzing)"})
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, trained):
    case.call_and_validate(headers={"Authorization": f"Bearer {trained.tokens['write']}",
                                    "Host": "127.0.0.1:8080"})
