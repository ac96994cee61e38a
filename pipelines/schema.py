"""The tables Rasad owns: the organisation (`ref`) and the monitoring state (`monitoring`).

Alembic migrations in `pipelines/migrations/` create these; this module is their single
description, used by the code that reads and writes them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pipelines.db_types import DayType, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

REF = "ref"
MON = "monitoring"

# ---------------------------------------------------------------- ref: the organisation

province = Table(
    "province",
    metadata,
    Column("province_id", String(16), primary_key=True),
    Column("name_fa", Text, nullable=False),
    Column("amar_code", String(16)),
    Column("capital_name_fa", Text, nullable=False),
    schema=REF,
)

region = Table(
    "region",
    metadata,
    Column("region_id", String(32), primary_key=True),
    Column("province_id", String(16), ForeignKey("ref.province.province_id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name_fa", Text, nullable=False),
    Column("amar_code", String(16)),
    CheckConstraint("kind IN ('county', 'capital_zone')", name="kind"),
    schema=REF,
)

taxon = Table(
    "taxon",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("level", String(16), nullable=False),
    Column("parent_code", String(32), ForeignKey("ref.taxon.code")),
    Column("name_fa", Text, nullable=False),
    Column("name_en", Text),
    CheckConstraint("level IN ('sector', 'domain', 'field', 'branch', 'sub_branch')", name="level"),
    schema=REF,
)

person = Table(
    "person",
    metadata,
    Column("person_id", String(32), primary_key=True),
    Column("full_name", Text, nullable=False),
    Column("email", Text),
    Column("mobile", String(20)),
    Column("national_id", String(10)),
    schema=REF,
)

unit = Table(
    "unit",
    metadata,
    Column("unit_id", String(32), primary_key=True),
    Column("valid_from", DayType, primary_key=True),
    Column("valid_to", DayType),
    Column("kind", String(32), nullable=False),
    Column("name_fa", Text, nullable=False),
    Column("province_id", String(16), ForeignKey("ref.province.province_id"), nullable=False),
    Column("region_id", String(32), ForeignKey("ref.region.region_id"), nullable=False),
    Column("in_capital", Boolean, nullable=False),
    Column("sector_code", String(32), ForeignKey("ref.taxon.code")),
    Column("headcount", Integer),
    Column("steward_person_id", String(32), ForeignKey("ref.person.person_id")),
    # the unit's specialised domain (a supplier's suppliers kanoon and specialized rahyari follow it)
    Column("domain_code", String(32), ForeignKey("ref.taxon.code")),
    Column("kanoon_id", String(40), ForeignKey("ref.kanoon.kanoon_id")),
    CheckConstraint("kind IN ('work_and_life_core', 'work_and_business_core', 'supplier')", name="kind"),
    schema=REF,
)

rahyari_team = Table(
    "rahyari_team",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("province_id", String(16), ForeignKey("ref.province.province_id"), nullable=False),
    Column("region_id", String(32), ForeignKey("ref.region.region_id")),
    # specialized: the sector or the domain it holds (a taxon code of either level)
    Column("sector_code", String(32), ForeignKey("ref.taxon.code")),
    Column("social_group", Text),
    Column("name_fa", Text, nullable=False),
    Column("email", Text),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    CheckConstraint("kind IN ('social', 'exclusive', 'specialized')", name="kind"),
    CheckConstraint("kind <> 'social' OR region_id IS NOT NULL", name="social_region"),
    CheckConstraint("kind <> 'specialized' OR sector_code IS NOT NULL", name="specialized_taxon"),
    CheckConstraint("kind <> 'exclusive' OR social_group IS NOT NULL", name="exclusive_group"),
    schema=REF,
)

monitoring_officer_assignment = Table(
    "monitoring_officer_assignment",
    metadata,
    Column("assignment_id", String(32), primary_key=True),
    Column("province_id", String(16), ForeignKey("ref.province.province_id"), nullable=False),
    Column("person_id", String(32), ForeignKey("ref.person.person_id"), nullable=False),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    Column("assigned_by", Text, nullable=False),
    Column("fardap_coordinated", Boolean, nullable=False),
    # the Fardap coordinator with whom the assignment was coordinated
    Column("fardap_coordinator_id", String(32), ForeignKey("ref.fardap_coordinator.coordinator_id")),
    schema=REF,
)

fardap_coordinator = Table(
    "fardap_coordinator",
    metadata,
    Column("coordinator_id", String(32), primary_key=True),
    Column("person_id", String(32), ForeignKey("ref.person.person_id"), nullable=False),
    # null: the central Fardap office
    Column("province_id", String(16), ForeignKey("ref.province.province_id")),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    schema=REF,
)

reference_load = Table(
    "reference_load",
    metadata,
    Column("load_id", String(40), primary_key=True),
    Column("loaded_at", UTCDateTime, nullable=False),
    Column("source", Text, nullable=False),
    Column("as_of_day", DayType, nullable=False),
    schema=REF,
)

# ------------------------------------------------------------ monitoring: the pipeline's state

run_log = Table(
    "run_log",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("day", DayType, nullable=False),
    Column("step", String(32), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(16), nullable=False),
    Column("detail", Text),
    schema=MON,
)

extraction_log = Table(
    "extraction_log",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("entity", String(16), primary_key=True),
    Column("day", DayType, nullable=False),
    Column("window_since", UTCDateTime),
    Column("window_before", UTCDateTime, nullable=False),
    Column("rows_read_at_source", Integer, nullable=False),
    Column("rows_fetched", Integer, nullable=False),
    Column("rows_staged", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("rows_new_versions", Integer, nullable=False),
    Column("rows_duplicates_collapsed", Integer, nullable=False),
    Column("extra_columns", Text),
    schema=MON,
)

watermark = Table(
    "watermark",
    metadata,
    Column("entity", String(16), primary_key=True),
    Column("updated_before", UTCDateTime, nullable=False),
    schema=MON,
)

stg_sellers = Table(
    "stg_sellers",
    metadata,
    Column("seller_id", String(64), primary_key=True),
    Column("updated_at", UTCDateTime, primary_key=True),
    Column("unit_id", String(64)),
    Column("display_name", Text),
    Column("joined_at", UTCDateTime),
    Column("first_run_id", String(64), nullable=False),
    schema=MON,
)

stg_offers = Table(
    "stg_offers",
    metadata,
    Column("offer_id", String(64), primary_key=True),
    Column("updated_at", UTCDateTime, primary_key=True),
    Column("seller_id", String(64), nullable=False),
    Column("title", Text),
    Column("category_code", String(32), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("unit_price_rial", BigInteger, nullable=False),
    Column("nesieh_months", Integer),
    Column("nesieh_unit_price_rial", BigInteger),
    Column("promised_quality", String(1), nullable=False),
    Column("promised_lead_days", Integer, nullable=False),
    Column("stock_qty", Float),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("first_run_id", String(64), nullable=False),
    schema=MON,
)

stg_orders = Table(
    "stg_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("updated_at", UTCDateTime, primary_key=True),
    Column("offer_id", String(64), nullable=False),
    Column("buyer_member_id", String(64)),
    Column("quantity", Float, nullable=False),
    Column("unit_price_rial", BigInteger, nullable=False),
    Column("payment", String(8), nullable=False),
    Column("ordered_at", UTCDateTime, nullable=False),
    Column("promised_at", UTCDateTime, nullable=False),
    Column("first_run_id", String(64), nullable=False),
    Index(None, "ordered_at"),
    schema=MON,
)

stg_deliveries = Table(
    "stg_deliveries",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("updated_at", UTCDateTime, primary_key=True),
    Column("order_id", String(64), nullable=False),
    Column("status", String(24), nullable=False),
    Column("shipped_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("delivered_qty", Float),
    Column("received_quality", String(16)),
    Column("buyer_rating", Integer),
    Column("complaint", String(24)),
    Column("returned_qty", Float),
    Column("first_run_id", String(64), nullable=False),
    Index(None, "order_id"),
    Index(None, "delivered_at"),
    schema=MON,
)

STAGING_TABLES = {
    "sellers": stg_sellers,
    "offers": stg_offers,
    "orders": stg_orders,
    "deliveries": stg_deliveries,
}

quarantine = Table(
    "quarantine",
    metadata,
    # hash(entity, raw payload): the same bad row seen again is one quarantine row
    Column("quarantine_id", String(40), primary_key=True),
    Column("entity", String(16), nullable=False),
    Column("source_id", Text),
    Column("source_updated_at", Text),
    Column("raw_payload", Text, nullable=False),
    Column("failed_expectations", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("day", DayType, nullable=False),
    Column("run_id", String(64), nullable=False),
    Index(None, "day"),
    schema=MON,
)

finding_observation = Table(
    "finding_observation",
    metadata,
    Column("rule", String(40), primary_key=True),
    Column("entity_id", String(64), primary_key=True),
    Column("day", DayType, primary_key=True),
    Column("entity_type", String(16), nullable=False),
    Column("seller_id", String(64)),
    Column("offer_id", String(64)),
    Column("province_id", String(16)),
    Column("severity", String(8), nullable=False),
    Column("impact_rial", BigInteger, nullable=False),
    Column("evidence", Text, nullable=False),
    Index(None, "day"),
    schema=MON,
)

finding = Table(
    "finding",
    metadata,
    # hash(rule, entity_id, episode_start_day)
    Column("finding_id", String(40), primary_key=True),
    Column("rule", String(40), nullable=False),
    Column("check_name", String(16), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("entity_type", String(16), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("episode_start_day", DayType, nullable=False),
    Column("last_observed_day", DayType, nullable=False),
    Column("resolved_day", DayType),
    Column("seller_id", String(64)),
    Column("offer_id", String(64)),
    Column("unit_id", String(64)),
    Column("province_id", String(16)),
    Column("severity", String(8), nullable=False),
    Column("impact_rial", BigInteger, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("routing", Text, nullable=False),
    CheckConstraint("kind IN ('event', 'state')", name="kind"),
    CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    UniqueConstraint("rule", "entity_id", "episode_start_day"),
    Index(None, "province_id", "last_observed_day"),
    schema=MON,
)

finding_verdict = Table(
    "finding_verdict",
    metadata,
    Column("verdict_id", String(40), primary_key=True),
    Column("finding_id", String(40), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("note", Text),
    Column("given_by", Text, nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    # withdrawn: an undo from the dashboard of a first verdict (the finding has no current verdict again)
    CheckConstraint("verdict IN ('acknowledged', 'false_positive', 'actioned', 'withdrawn')", name="verdict"),
    Index(None, "finding_id"),
    schema=MON,
)

report = Table(
    "report",
    metadata,
    Column("day", DayType, primary_key=True),
    Column("province_id", String(16), primary_key=True),
    Column("path", Text, nullable=False),
    Column("findings_listed", Integer, nullable=False),
    Column("findings_total", Integer, nullable=False),
    Column("written_at", UTCDateTime, nullable=False),
    schema=MON,
)

# tables of other topics, defined on the same metadata, so migrations and readers see them all
from pipelines import org_tables, outbox_tables, scorecard_tables  # noqa: E402,F401,I001
from pipelines import dashboard_tables  # noqa: E402,F401
