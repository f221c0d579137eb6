"""The plain views the runtime uses agree with the models on every valid entry."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.schemagen import strategy
from zenconfig import fastcheck, spec
from zenconfig.models import Connection

ROOT = fastcheck.schema()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategy(ROOT["definitions"]["Connection"], ROOT))
def test_spec_equals_the_model_with_defaults(entry: dict[str, Any]) -> None:
    model = Connection.model_validate(entry)
    view = spec.connection("p", entry)
    assert (view.host, view.port, view.db) == (model.host, model.port, model.db)
    assert view.mode == model.mode
    assert view.key_prefix == (model.key_prefix or "zen:p:")
    assert view.conversation_ttl_seconds == model.conversation_ttl_seconds
    assert view.max_turns == model.max_turns
    assert view.connect_timeout == model.timeouts.connect_seconds
    assert view.socket_timeout == model.timeouts.socket_seconds
    assert view.max_connections == model.pool.max_connections
    assert view.health_check_interval == model.pool.health_check_interval_seconds
    assert (view.tls.enabled, view.tls.verify, view.tls.check_hostname) == (
        model.tls.enabled,
        model.tls.verify,
        model.tls.check_hostname,
    )
    assert view.sentinels == tuple((s.host, s.port) for s in model.sentinels)
    assert view.nodes == tuple((n.host, n.port) for n in model.nodes)
    assert view.password == (model.password.model_dump() if model.password else None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategy(ROOT["definitions"]["Connection"], ROOT))
def test_full_document_equals_the_models_dump(entry: dict[str, Any]) -> None:
    """show and get use this instead of the models; same values, same shape."""
    assert spec.connection_document(entry) == Connection.model_validate(entry).model_dump(
        mode="json"
    )
