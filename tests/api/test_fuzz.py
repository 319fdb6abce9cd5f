"""Every operation of the OpenAPI document, with generated valid and invalid inputs
(schemathesis): never a 500, and always a documented status and shape."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from consult.accounts.models import Role
from consult.database import unit_of_work


def test_every_operation_answers_as_documented(app, tree, make_household, make_user):
    from consult.api import service

    resident = make_user("王秀英", household=make_household(tree.e1))
    make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    with unit_of_work():
        _, secret = service.create_personal_token(actor=resident, name="fuzz", days=1)
    app.config["API_RATE_LIMIT_PER_TOKEN"] = app.config["API_RATE_LIMIT_PER_ADDRESS"] = "100000/minute"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {secret}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            # A request the schema allows may still be refused by a rule (a category that does
            # not exist, a cursor of another list): 422 with the rule's code, not a failure.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
        check()
