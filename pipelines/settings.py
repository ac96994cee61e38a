"""One settings object: every knob a person may want to change, with its unit in its name.

Values come from environment variables prefixed `RASAD_` (and an optional `.env` file).
The store is the embedded SQLite file under `var/` unless `RASAD_STORE_URL` names PostgreSQL.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

TEHRAN_TZ = "Asia/Tehran"


class Settings(BaseSettings):
    """Rasad's configuration, read from `RASAD_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="RASAD_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="where the embedded store, reports and logs live")
    store_url: str | None = Field(default=None, description="Rasad store; default: SQLite file var/rasad.db")
    source_url: str | None = Field(default=None, description="Ombazar source (SQL); default: var/sim/ombazar.db")
    source_http_url: str | None = Field(default=None, description="Ombazar HTTP API base URL, if used")

    # on-time
    late_grace_hours: float = 6.0
    # price: peer band on log(unit price), robust z = (x - median) / (1.4826 * MAD)
    price_peer_robust_z: float = 3.5
    price_min_peer_offers: int = 8
    # floor on the peer spread (log units): below it, peers agree so closely that z explodes
    price_min_log_spread: float = 0.15
    # quality: a buyer rating at or below this is a defect signal
    low_rating_max: int = 2
    # how far back the daily checks read the marketplace state
    state_lookback_days: int = 120
    # severity by the rial value at stake
    severity_warning_impact_rial: int = 50_000_000
    severity_critical_impact_rial: int = 500_000_000
    # reports lead with at most this many findings per province
    attention_budget_findings: int = 20
    # the reference data must have been refreshed within this many days of the monitored day
    reference_max_age_days: int = 7
    # future timestamps: later than extraction time plus this many minutes
    future_tolerance_minutes: int = 5

    dashboard_base_url: str = "http://localhost:8501"

    # mail delivery of the reports (issue 7). No smtp_host: messages are written as .eml under var/outbox/.
    # In Airflow the connection `rasad_smtp` wins over these (host, port, login, password; extra: from, ssl,
    # starttls, timeout).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_ssl: bool = False
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "rasad@rasad.example"
    # Message-ID domain (the part after '@')
    mail_domain: str = "rasad.example"
    # rounds of delivery one send makes before giving up for now (the outbox keeps what is left)
    smtp_retry_attempts: int = 4
    # backoff between attempts at one message: base * 2**(attempt - 1), capped
    smtp_retry_base_seconds: float = 2.0
    smtp_retry_max_seconds: float = 900.0
    # the specialized rahyaris' weekly digest goes out on this Jalali weekday (0 = Saturday .. 6 = Friday)
    weekly_digest_jalali_weekday: int = 6
    weekly_digest_days: int = 7

    @property
    def resolved_store_url(self) -> str:
        """The store URL, defaulting to the embedded SQLite file."""
        return self.store_url or f"sqlite:///{(self.var_dir / 'rasad.db').resolve()}"

    @property
    def resolved_source_url(self) -> str:
        """The source URL, defaulting to the simulator's SQLite file."""
        return self.source_url or f"sqlite:///{(self.var_dir / 'sim' / 'ombazar.db').resolve()}"

    @property
    def reports_dir(self) -> Path:
        """Where the daily reports are written."""
        return self.var_dir / "reports"

    @property
    def outbox_dir(self) -> Path:
        """Where messages are written as .eml files when no SMTP server is configured."""
        return self.var_dir / "outbox"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache)."""
    return Settings()
