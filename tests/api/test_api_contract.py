"""The API keeps its published contract under fuzzing: schemathesis sends generated requests, valid
and invalid, to every ``/api/v1`` operation of the real server with an owner's bearer token, one at
a time and chained by the links it infers (a product created, then read, changed, its stock asked).
Every answer must be a documented status, with the documented content type and a body that matches
its schema, and never a server error."""

from __future__ import annotations

from typing import Any

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
from backend.db import Database
from tests.api.conftest import PEOPLE
from tests.conftest import _run
from tests.live import LiveServer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZING = settings(
    max_examples=30,  # per operation, and scenarios for the linked run
    stateful_step_count=8,
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


def test_linked_api_operations_answer_as_their_schema_says(api_schema: schemathesis.BaseSchema) -> None:
    session = requests.Session()

    class Scenario(api_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"session": session}

        def validate_response(self, response: Any, case: schemathesis.Case, **_: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    assert Scenario.bundles, "schemathesis found no links between the operations"
    with session:
        Scenario.run(settings=FUZZING)
