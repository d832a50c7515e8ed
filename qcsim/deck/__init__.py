"""Input decks: YAML -> validated, typed configuration.

>>> from qcsim.tasks import load_deck   # the deck checked against the registered tasks
>>> deck = load_deck("input_decks/cu_vacancy.yaml")
>>> deck.task, deck["relax"].fmax
('relax', 0.0001)

Every problem is a :class:`qcsim.errors.DeckError` naming the file, the line
and the key path (``relax.fmax``); a broken potential file is a
:class:`qcsim.errors.PotentialFileError` from the file's reader.
"""
from qcsim.deck.loader import Deck, load_deck, parse_deck, read_deck_text  # noqa: F401
from qcsim.deck.schema import SECTIONS, Context, param  # noqa: F401
