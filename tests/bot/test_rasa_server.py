"""Rasa's check of the action server's responses, with the validator built once."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import rasa_server


@pytest.fixture
def action(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", rasa_server.validate_action_result)
    return RemoteAction("action_answer", None)


def test_a_valid_response_passes_without_rebuilding_the_check(action, monkeypatch):
    rasa_server.response_validator()

    def rebuilt(*args, **kwargs):
        raise AssertionError("jsonschema.validate called for a valid response")

    monkeypatch.setattr(jsonschema, "validate", rebuilt)
    response = {"events": [{"event": "slot", "name": "guide_step", "value": 2}],
                "responses": [{"text": "Bước 2: Chọn Quên mật khẩu.", "buttons": []}]}
    assert action._validate_action_result(response) is True


@pytest.mark.parametrize("response", [{"events": "slot"}, {"events": [{"event": "slot", "timestamp": "now"}]},
                                      {"responses": ["Bước 2"]}])
def test_an_invalid_response_fails_with_rasas_own_error(action, response):
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(response)
