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

    # ---- issue 5: severity from impact, seller scorecards, verdicts
    # severity: buyers affected by one finding, and the seller's repeat offences of the same rule
    severity_warning_buyers_affected: int = 3
    severity_critical_buyers_affected: int = 10
    severity_repeat_window_days: int = 30
    severity_warning_repeat_offences: int = 3
    severity_critical_repeat_offences: int = 10
    # scorecards: rolling windows stored per day; breaches are judged on one of them
    scorecard_windows_days: tuple[int, ...] = (7, 30, 90)
    scorecard_breach_window_days: int = 30
    # no breach is judged before the store holds this many monitored days of the judged window: the first
    # days of monitoring see a backlog of late orders completing, which is no seller's recent record
    scorecard_min_history_days: int = 7
    # minimum volume before a rate counts: resolved deliveries AND distinct buyers, per unit kind
    scorecard_min_deliveries_core: int = 10
    scorecard_min_deliveries_supplier: int = 20
    scorecard_min_distinct_buyers_core: int = 5
    scorecard_min_distinct_buyers_supplier: int = 8
    # thresholds (rates are fractions 0..1)
    scorecard_min_on_time_rate_core: float = 0.80
    scorecard_min_on_time_rate_supplier: float = 0.90
    scorecard_max_quality_defect_rate_core: float = 0.20
    scorecard_max_quality_defect_rate_supplier: float = 0.12
    scorecard_max_seller_cancel_rate_core: float = 0.15
    scorecard_max_seller_cancel_rate_supplier: float = 0.08
    # a breach must hold with this confidence: the Wilson bound of the bad share (one-sided z; 2.326 is 99%,
    # because hundreds of sellers are judged every day)
    # must lie beyond the threshold, so a seller with 2 late of 20 is not judged on luck
    scorecard_breach_confidence_z: float = 2.326
    # distinct buyers are kept per seller and day up to this many (exact below it; gates must be <= it)
    scorecard_buyer_sample_cap: int = 50

    dashboard_base_url: str = "http://localhost:8501"

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache)."""
    return Settings()
