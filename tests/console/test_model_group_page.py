"""The model group page: versions, the comparison chart, promote and roll back with the console's own
session, the alias history; and the comparison chart route it shows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from tests.console.conftest import ConsoleClient, notices
from tests.support.api import signed_get, signed_json_request
from tests.support.retrained_groups import retrained_group
from tests.support.server import ACCESS_KEY_ID, LiveServer


@pytest.fixture(scope="module")
def retrained(server: LiveServer) -> dict[str, Any]:
    return retrained_group(server)


def champion(server: LiveServer, group: str) -> str:
    status, view = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{group}/versions")
    assert status == 200, view
    return str(view["Aliases"]["champion"])


def test_the_comparison_chart_route_draws_both_versions(
    server: LiveServer, retrained: dict[str, Any]
) -> None:
    group, retrain = retrained["group"], retrained["retrain"]
    path = f"/openaml/v1/mlmodels/{group}/retrains/{retrain['RetrainId']}/charts/comparison.svg"
    texts = [element.text for element in ET.fromstring(signed_get(server, path)).iter() if element.text]
    assert f"champion {group}.v1" in texts and f"challenger {group}.v2" in texts
    assert f"★ {retrain['Comparison']['Metric']}" in texts
    status, answer = signed_json_request(server, "GET", path.replace("comparison.svg", "comparison.gif"))
    assert status == 404 and answer["__type"] == "NotFoundException"


def test_the_group_page_shows_versions_comparison_and_promotes_as_the_signed_in_user(
    console: ConsoleClient, server: LiveServer, retrained: dict[str, Any]
) -> None:
    group, retrain = retrained["group"], retrained["retrain"]
    model_page = console.get(f"/console/mlmodels/{group}").text
    assert f'href="/console/mlmodels/{group}/group"' in model_page

    page = console.get(f"/console/mlmodels/{group}.v2/group")  # any version leads to its group
    assert page.status_code == 200, page.text
    html = page.text
    assert f"<h1>{group}</h1>" in html
    assert 'id="comparison-chart"' in html and "<svg" in html
    assert f"Retrain <code>{retrain['RetrainId']}</code>" in html
    assert html.count("Promote to champion") == 1  # v2, the challenger; v1 is champion
    assert re.search(r"<td><code>challenger</code></td>\s*<td>-</td>\s*<td>" + re.escape(f"{group}.v2"), html)
    assert "Roll back to" not in html  # champion never moved

    promoted = console.post(f"/console/mlmodels/{group}/group/alias", {"alias": "champion", "version": "2"})
    assert promoted.status_code == 303
    assert champion(server, group) == f"{group}.v2"
    after = console.get(promoted.headers["location"]).text
    assert notices(after) == [f"champion now points at {group}.v2 (was v1)."]
    assert re.search(r"Roll back to\s+" + re.escape(f"{group}.v1"), after)

    status, history = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{group}/history")
    assert status == 200
    change = history["Changes"][0]
    assert (change["Alias"], change["ChangedBy"], change["Reason"]) == ("champion", ACCESS_KEY_ID, None)

    rolled = console.post(
        f"/console/mlmodels/{group}/group/alias",
        {"alias": "champion", "version": "1", "reason": "rolled back from the console"},
    )
    assert rolled.status_code == 303 and champion(server, group) == f"{group}.v1"
    final = console.get(f"/console/mlmodels/{group}/group").text
    assert "rolled back from the console" in final


def test_a_refused_alias_change_is_a_message(console: ConsoleClient, retrained: dict[str, Any]) -> None:
    group = retrained["group"]
    refused = console.post(f"/console/mlmodels/{group}/group/alias", {"alias": "champion", "version": "9"})
    assert refused.status_code == 303
    [message] = notices(console.get(refused.headers["location"]).text)
    assert "9" in message
