"""Custom actions served by the Rasa action server (``rasa run actions --actions bot.actions``).

``bot.actions.actions`` needs ``rasa_sdk`` (in ``.venv-rasa``); ``spoken`` and ``api`` are plain Python so the
product's tests can exercise them directly.
"""
