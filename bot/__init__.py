"""The chat intake bot: a Rasa 3.6 project (config.yml, domain.yml, data/) and its actions (``bot.actions``).

Rasa itself lives in its own virtual environment (``.venv-rasa``, made by ``bot/setup.sh``); the modules importable
from the product's environment (``bot.cli``, ``bot.serve``, ``bot.actions.spoken``, ``bot.actions.api``) import
nothing from Rasa.
"""
