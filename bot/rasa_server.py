"""`rasa` with the action server's responses validated by a validator built once.

    python -m rasa_server run --enable-api ...     (the same arguments as `rasa`; from bot/)

Rasa 3.6 validates each response of the action server with `jsonschema.validate`, which first
checks Rasa's response schema against the JSON Schema meta-schema and builds a new validator, on
every action call: about 40% of the Rasa server's CPU in a chat turn (py-spy; README,
"Architecture"). Here a valid response is checked by one validator built at the first call; an
invalid one still goes through Rasa's own check, so it fails exactly as before.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text

from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

_rasa_validate = RemoteAction._validate_action_result


@functools.lru_cache(maxsize=1)
def response_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    return response_validator().is_valid(result) or _rasa_validate(self, result)


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result


if __name__ == "__main__":
    from rasa.__main__ import main

    install()
    main()
