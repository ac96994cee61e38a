"""One settings object: every knob a person may want to change, with its unit in its name.

Values come from environment variables prefixed `RASAD_` (and an optional `.env` file).
The store is the embedded SQLite file under `var/` unless `RASAD_STORE_URL` names PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # price (issue 6): province band, own-history jump, nesieh markup, the outlier model
    price_min_province_peer_offers: int = 5
    # the own-history jump reads the offer's staged versions of this many days
    price_history_days: int = 90
    # a price at least this many times (or at most 1/this) every recent price of the offer is a jump
    price_jump_ratio: float = 1.5
    # price (issue 15): the same product at other sellers is a reference once this many offers (the offer's
    # own among them) share its title and unit; a group's band width is its own robust spread shrunk toward
    # its parent's with the weight of this many offers (docs/price-checks.md)
    price_min_product_offers: int = 3
    price_band_prior_offers: float = 8.0
    # nesieh markup per month: robust z over the norm for that many months, and a floor on the excess
    price_nesieh_robust_z: float = 3.5
    price_nesieh_min_excess_per_month: float = 0.015
    price_nesieh_min_markup_spread: float = 0.004
    # the outlier model: off by default, because bench/price_eval.py finds it adds nothing to the rules;
    # when on, the daily check uses the current artefact if one exists (rules only otherwise)
    price_model_enabled: bool = False
    price_model_dir: Path | None = Field(
        default=None, description="default: <var_dir>/models/price_model, seeded from the shipped artefact")
    price_model_train_days: int = 28
    price_model_holdout_days: int = 7
    # quality: a buyer rating at or below this is a defect signal
    low_rating_max: int = 2
    # an open order older than this many days is no longer reported overdue (it is the marketplace's to close)
    state_lookback_days: int = 120
    # event time: a row recorded this many days after its event still re-judges the day the event happened;
    # a parked row whose parent has not arrived after this many days is quarantined
    allowed_lateness_days: int = 14
    # a seller is a late recorder when, over the scorecards' judged window, at least this share of its delivered
    # orders reached the source more than `record_latency_hours` after delivery (and at least this many did)
    record_latency_hours: float = 36.0
    record_latency_min_share: float = 0.6
    record_latency_min_orders: int = 20
    # severity by the rial value at stake
    severity_warning_impact_rial: int = 50_000_000
    severity_critical_impact_rial: int = 500_000_000
    # the daily DAG maps its price rules (by taxonomy field) and its reports (by province) over at most this
    # many partitions each: about the task slots of the workers (docs/scaling.md)
    daily_partitions: int = 4
    # a failed partition is retried alone, after this many seconds (the DAG reads it when it is parsed)
    partition_retry_delay_seconds: int = 60
    # reports lead with at most this many findings per province
    attention_budget_findings: int = 20
    # the reference data must have been refreshed within this many days of the monitored day
    reference_max_age_days: int = 7
    # future timestamps: later than extraction time plus this many minutes
    future_tolerance_minutes: int = 5

    # ingestion (issue 4): how the source is reached, and how patient the extractor is with it
    # sql: RASAD_SOURCE_URL; http: RASAD_SOURCE_HTTP_URL
    source_kind: Literal["sql", "http"] = "sql"
    source_http_timeout_seconds: float = 30.0
    source_http_retries: int = 5
    source_http_backoff_seconds: float = 0.5
    # a Retry-After longer than this is not waited for: the run fails and Airflow retries it later
    source_http_max_wait_seconds: float = 300.0
    source_http_page_rows: int = 5000
    # a hard cap on the pages one window may take over HTTP, whatever the source counts (an endless chain of
    # cursors stops here at the latest; below it, the source's own count bounds the pages)
    source_http_max_pages: int = 100_000
    # an extraction that quarantines more than this share of an entity's rows read (for the first time) fails its
    # task with the counts: a batch that is all bad is a broken source, never a green run with "no findings"
    max_quarantine_share: float = 0.5
    # "source silent": same weekdays looked back on, and the shortest silence worth a finding
    source_silent_lookback_weeks: int = 4
    source_silent_min_hours: float = 24.0
    # reference data (the organisation): the seed's bound on a core's people (B-5: "at most 10-15")
    core_max_headcount: int = 15
    # how many problems `rasad ref load` lists before it stops reading
    reference_load_max_errors: int = 50
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
    # no breach is judged before the judged window holds cohorts (orders fallen due) on this many days; staged
    # history counts, so a source with history is judged from the first monitored day (no wait)
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
    # hysteresis: a breach, once open, closes only when the bound of the bad share is back within the threshold
    # by this much (a share, 0.03 = three points), so a seller hovering at the threshold makes one episode
    scorecard_breach_release_band: float = 0.03
    # distinct buyers are kept per seller and day up to this many (exact below it; gates must be <= it)
    scorecard_buyer_sample_cap: int = 50

    dashboard_base_url: str = "http://localhost:8501"
    # ---- issue 8: the dashboard (`rasad dashboard`; docs/dashboard.md)
    dashboard_address: str = "127.0.0.1"
    dashboard_port: int = 8501
    # local: users and scrypt-hashed passwords in monitoring.dashboard_user; oidc: Streamlit's st.login with
    # the [auth] section of .streamlit/secrets.toml, users matched by e-mail
    dashboard_auth: Literal["local", "oidc"] = "local"
    # the inbox lists findings observed in this many days up to the chosen day
    dashboard_inbox_days: int = 14
    # the scorecard window the drill-down shows
    dashboard_scorecard_window_days: int = 30
    # an offer's finding shows at most this many of its newest orders
    dashboard_evidence_max_orders: int = 50
    # ---- issue 13/16: dashboard sessions and logins (pipelines/dashboard/sessions.py)
    # a login lasts this long, across page reloads (a signed, HttpOnly cookie), unless the user is disabled,
    # changed or logs out first
    dashboard_session_seconds: int = 12 * 3600
    # the key that signs the session cookie; empty: a random one kept in var/dashboard_session.key
    dashboard_session_secret: str = ""
    # failed logins: this many for one user name, or per_client from one address, within the window lock
    # that name (or address) until the failures age out of the window
    dashboard_login_max_failures: int = 5
    dashboard_login_max_failures_per_client: int = 20
    dashboard_login_failure_window_minutes: int = 15
    # behind a reverse proxy: take the client's address from X-Forwarded-For (only if the proxy sets it)
    dashboard_trust_forwarded_for: bool = False

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
    # a sender's claim on an outbox row lasts this long; a sender that died mid-send frees its rows after it
    smtp_claim_lease_seconds: float = 600.0
    # the specialized rahyaris' weekly digest goes out on this Jalali weekday (0 = Saturday .. 6 = Friday)
    weekly_digest_jalali_weekday: int = 6
    weekly_digest_days: int = 7

    # ---- issue 13: engineers hear about it (docs/operations.md)
    # the first Tehran day Rasad monitors: the daily DAG starts there and catches up every day since; a run of
    # day D refuses to start while D-1 (on or after this day) has no successful run. Unset: the DAG starts
    # `catchup_days` before today, and monitoring begins with the first day that ran to the end
    monitoring_start_day: date | None = None
    catchup_days: int = 7
    # every Airflow task is killed and failed (then retried) after this long
    task_timeout_minutes: float = 180.0
    # a daily run not finished (reports sent) by this hour, Tehran time, of the day after the monitored day
    # raises a deadline alert (the DAG ombazar_report_deadline)
    report_deadline_tehran_hour: int = Field(default=8, ge=0, le=23)
    # who hears about failures and deadline misses (the `rasad_smtp` connection's extra `to` wins)
    engineers_email: str | None = None
    # in Airflow, without the `rasad_store` / `ombazar_source` connections and without RASAD_STORE_URL /
    # RASAD_SOURCE_URL, the tasks use the embedded SQLite files under var/ only when this is true (the demo and
    # `make airflow` set it); otherwise they fail: a missing connection never silently becomes var/rasad.db
    airflow_embedded_default: bool = False
    # pip-audit: an OSV database stored offline (a directory of OSV JSON files), used when the online
    # vulnerability services cannot be reached (docs/operations.md, `make audit`)
    audit_offline_db_dir: Path | None = None
    # every extraction run's validation results go to a GX Checkpoint whose Data Docs are built under
    # <var_dir>/gx/uncommitted/data_docs/local_site/index.html
    data_docs_enabled: bool = True
    # the Data Docs index lists the newest this many validation results (4 entities a run)
    data_docs_index_results: int = 400

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
