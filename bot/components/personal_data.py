"""Routes any message that carries a secret (OTP, ID number, password, card number) to the
personal-data warning, whatever the classifier thought the message was about.

The gateway masks secrets before Rasa sees them, so the masks are the usual signal; a message
that reaches Rasa unmasked is checked with the same detector.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from retrieval.privacy import CARD_MASK, ID_MASK, OTP_MASK, PASSWORD_MASK, mask

INTENT_NAME = "share_personal_data"
SECRET_MASKS = (OTP_MASK, ID_MASK, PASSWORD_MASK, CARD_MASK)


def carries_secret(text: str) -> bool:
    return any(m in text for m in SECRET_MASKS) or mask(text).has_secret


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PersonalDataGuard(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "PersonalDataGuard":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if carries_secret(message.get(TEXT) or ""):
                intent = {"name": INTENT_NAME, "confidence": 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != INTENT_NAME]
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages
