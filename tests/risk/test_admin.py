"""The admin never edits a rule version in place: saving publishes a new one."""

import pytest
from django.contrib.auth import get_user_model

from kameng.risk import services
from kameng.risk.models import Scenario
from kameng.risk.rules import DEFAULT_RULES

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("op", "op@example.com", "pw-123456789")
    client.force_login(user)
    return client


def _form(scenario: Scenario, **changes) -> dict:
    rules = list(scenario.rules.all())
    data = {
        "review_threshold": scenario.review_threshold,
        "block_threshold": scenario.block_threshold,
        "note": "",
        "rules-TOTAL_FORMS": len(rules),
        "rules-INITIAL_FORMS": len(rules),
        "rules-MIN_NUM_FORMS": 0,
        "rules-MAX_NUM_FORMS": 1000,
    }
    for i, rule in enumerate(rules):
        import json

        data.update(
            {
                f"rules-{i}-id": rule.pk,
                f"rules-{i}-scenario": scenario.pk,
                f"rules-{i}-code": rule.code,
                f"rules-{i}-kind": rule.kind,
                f"rules-{i}-params": json.dumps(rule.params),
                f"rules-{i}-weight": rule.weight,
                f"rules-{i}-action": rule.action,
                f"rules-{i}-active": "on" if rule.active else "",
                f"rules-{i}-label": rule.label,
            }
        )
    data.update(changes)
    return data


def test_saving_publishes_a_new_version(admin_client):
    v1 = services.current_scenario()
    response = admin_client.post(
        f"/admin/risk/scenario/{v1.pk}/change/", _form(v1, review_threshold=70, note="stricter")
    )
    assert response.status_code == 302
    active = services.current_scenario()
    assert (active.version, active.review_threshold, active.note) == (2, 70, "stricter")
    assert active.rules.count() == len(DEFAULT_RULES)
    v1.refresh_from_db()
    assert (v1.active, v1.review_threshold) == (False, 60)  # unchanged


def test_a_bad_rule_is_a_form_error(admin_client):
    v1 = services.current_scenario()
    response = admin_client.post(
        f"/admin/risk/scenario/{v1.pk}/change/", _form(v1, **{"rules-0-params": '{"per": "ip"}'})
    )
    assert response.status_code == 200
    assert "required" in response.content.decode()
    assert services.current_scenario().version == 1


def test_pages_render(admin_client):
    for url in (
        "/admin/risk/scenario/",
        "/admin/risk/assessment/",
        "/admin/risk/modelversion/",
        f"/admin/risk/scenario/{services.current_scenario().pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url
