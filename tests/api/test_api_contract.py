"""The API keeps its published contract under fuzzing: schemathesis sends generated requests,
valid and invalid, to every ``/api/v1`` operation of the real server with an owner's bearer token,
one operation at a time. Every answer must be a documented status, with the documented content
type and a body that matches its schema, and never a server error.

Scenarios chained by the links schemathesis infers are not run: the server keeps what each one
changed, so a scenario replayed within a run meets other answers (a SKU already taken) and
Hypothesis stops the run as an inconsistent strategy."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.auth.rules import Role
from backend.auth.service import create_api_token
from backend.kernel.db import Database
from tests.api.conftest import PEOPLE
from tests.conftest import _run
from tests.live import LiveServer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZING = settings(
    max_examples=30,  # per operation
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure in CI is one to reproduce
    phases=[Phase.explicit, Phase.generate],  # no shrinking: it would make the run's time unbounded
    suppress_health_check=list(HealthCheck),
    database=None,
)
ORDERS = [  # a few orders to read, edit and move through their lifecycle
    {"fulfilment_mode": "pickup", "location": "BTQ", "lines": [{"sku": "APPLE", "quantity": 1}]},
    {"fulfilment_mode": "pickup", "location": "BTQ", "lines": [{"sku": "PLUM", "quantity": 2}]},
    {"fulfilment_mode": "pickup", "location": "BTQ", "lines": [{"sku": "BREAD", "quantity": 3}]},
]


async def _owner_token(database_url: str) -> str:
    db = Database(database_url)
    try:
        return await create_api_token(db, PEOPLE[Role.OWNER][0], "contract")
    finally:
        await db.dispose()


def _place_orders(url: str, headers: dict[str, str]) -> None:
    for order in ORDERS:
        customer = {"name": "Ada Martin", "email": "ada@example.com"}
        body = {"customer": customer, "payment_method": "cash", **order}
        response = requests.post(f"{url}/api/v1/orders", json=body, headers=headers, timeout=10)
        assert response.status_code == 201, response.text


@pytest.fixture
def api_schema(live_shop: LiveServer, database_url: str) -> schemathesis.BaseSchema:
    headers = {"Authorization": f"Bearer {_run(_owner_token(database_url))}"}
    _place_orders(live_shop.url, headers)
    schema = schemathesis.openapi.from_url(f"{live_shop.url}/schema/openapi.json")
    schema.config.update(headers=headers)
    return schema.include(path_regex="^/api/v1/")


def _fuzz(operation: schemathesis.APIOperation, session: requests.Session) -> None:
    """The operation's documented examples, then requests generated to fit its schema and not to."""
    generated = [operation.as_strategy(mode) for mode in GenerationMode]
    cases = st.one_of(*operation.get_strategies_from_examples(), *generated)

    @FUZZING
    @given(case=cases)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(session=session, checks=CHECKS)

    run()


def test_every_api_operation_answers_as_its_schema_says(api_schema: schemathesis.BaseSchema) -> None:
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 16
    with requests.Session() as session:
        for operation in operations:
            try:
                _fuzz(operation, session)
            except (Exception, FailureGroup) as exc:  # every operation is fuzzed, then all are reported
                failures.append(f"{operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)
