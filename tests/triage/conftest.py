"""Fixtures for the triage tests: the whole stack (both databases, real Redis, loopback department), re-declared from
the foundation's conftest so these tests run on their own."""

from __future__ import annotations

from tests.foundation.conftest import department_server, pipeline, stack  # noqa: F401 — pytest fixtures
