"""Cross-origin policies: each API answers every route's preflight with its one stated
policy; the site's pages are never opened to other origins. The routes are found by
walking the URL map."""

from __future__ import annotations

from inkstand import cors
from tests.helpers import any_url

PREFLIGHT = {
    "Origin": "https://front.example",
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization",
}


def _policy(endpoint: str) -> cors.Policy | None:
    if endpoint.startswith("realworld."):
        return cors.REALWORLD_API
    if endpoint.startswith("api_v1_") and not endpoint.startswith("api_v1_docs."):
        return cors.NATIVE_API
    return None


def test_every_route_answers_a_preflight_with_its_apis_policy(app, client):
    failures, apis = [], 0
    for rule in app.url_map.iter_rules():
        if "OPTIONS" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        response = client.options(any_url(app, rule, "OPTIONS"), headers=PREFLIGHT)
        policy = _policy(rule.endpoint)
        if policy is None:
            if "Access-Control-Allow-Origin" in response.headers:
                failures.append(f"{rule.rule} is opened to other origins")
            continue
        apis += 1
        expected = {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": ", ".join(policy.methods),
            "Access-Control-Allow-Headers": ", ".join(policy.allow_headers),
            "Access-Control-Expose-Headers": ", ".join(policy.expose_headers),
            "Access-Control-Max-Age": str(policy.max_age),
        }
        found = {name: response.headers.get(name) for name in expected}
        if found != expected or "Access-Control-Allow-Credentials" in response.headers:
            failures.append(f"{rule.rule}: {found}")
    assert not failures, "\n".join(failures)
    assert apis > 20


def test_both_apis_state_one_max_age():
    assert cors.NATIVE_API.max_age == cors.REALWORLD_API.max_age == cors.MAX_AGE
