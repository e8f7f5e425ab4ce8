"""Web pages for the people around a work order (issue 8): agents, departments, supervisors and citizens.

``mount(app, settings)`` is called by ``connectors.api.app.create_app``. It adds, to the API's FastAPI app:

* a signed session cookie (Starlette ``SessionMiddleware``, ``SameSite=strict``) — staff sign in with their account
  (``users`` table) and the principal is kept in the session, so page scripts call the ``/v1`` JSON API with it;
* the static files (``/static``: one stylesheet, a few small scripts; nothing from a CDN, no web fonts);
* the pages (``connectors.web.pages``), the page helpers' JSON endpoints (``connectors.web.api``) and the photo
  store (``connectors.web.photos``).

Server-rendered Jinja2 templates, Chinese throughout; the script layer only adds live behaviour (the agent console,
action buttons). Citizens never sign in: their pages act through ``citizen.CITIZEN``, a server-side principal.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from hotline.settings import Settings

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
SESSION_MAX_AGE_S = 12 * 60 * 60
"""A signed-in session lasts one working shift."""


def session_secret(settings: Settings) -> str:
    """``settings.session_secret``, else a random key kept in ``data_dir/session.key`` (created once, mode 0600)."""
    if settings.session_secret:
        return settings.session_secret
    path = settings.data_dir / "session.key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def mount(app: FastAPI, settings: Settings) -> dict[str, int]:
    """Add the web pages, their helpers, static files and the session cookie to ``app``; return the body limits of
    routes that take more than the API's default (the photo upload)."""
    from connectors.web import api, pages, photos

    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="hotline_session",
        max_age=SESSION_MAX_AGE_S,
        same_site="strict",
        https_only=False,  # behind TLS in production the proxy sets Secure; loopback demo is plain HTTP
    )
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    pages.install_handlers(app)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(photos.router)
    return dict(photos.BODY_LIMITS)
