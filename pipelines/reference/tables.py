"""The organisation beyond the walking skeleton: secretariats and their affairs, Fardap's offices, the people
of rahyari teams, kanoons, members and their memberships, and the log of violations of the seed's rules.

Every table that the organisation changes over time carries `valid_from` / `valid_to` (a Tehran day;
`valid_to` is exclusive, null while it lasts), so that a finding is routed as the organisation stood on its
day. The value lists below are the single description of each kind; the CHECK constraints, the CSV loader
and the simulator all read them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pipelines.store.base import MON, REF, metadata
from pipelines.store.types import DayType, UTCDateTime

AFFAIR_KINDS = ("social_cooperation", "qard_al_hasan", "social_entrepreneurship")
KANOON_KINDS = ("social_cooperation", "exclusive", "entrepreneurship")
ENTREPRENEURSHIP_TYPES = ("work_and_life", "work_and_business", "supplier")
SYSTEMS = ("qard_al_hasan", "mirat", "ombazar")
RAHYARI_ROLES = ("rahyar", "hamyar")
MEMBER_KINDS = ("person", "company")
VIOLATION_SEVERITIES = ("warning", "critical")

# ------------------------------------------------------- the divisions, the taxonomy, units and who covers them

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



def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _period() -> CheckConstraint:
    return CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period")


# ---------------------------------------------------------------- the secretariat and Fardap

secretariat = Table(
    "secretariat",
    metadata,
    Column("secretariat_id", String(32), primary_key=True),
    Column("province_id", String(16), ForeignKey("ref.province.province_id"), nullable=False),
    Column("name_fa", Text, nullable=False),
    Column("director_person_id", String(32), ForeignKey("ref.person.person_id")),
    Column("email", Text),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    _period(),
    Index(None, "province_id"),
    schema=REF,
)

affair = Table(
    "affair",
    metadata,
    Column("affair_id", String(32), primary_key=True),
    Column("secretariat_id", String(32), ForeignKey("ref.secretariat.secretariat_id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("name_fa", Text, nullable=False),
    Column("head_person_id", String(32), ForeignKey("ref.person.person_id")),
    Column("email", Text),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    CheckConstraint(_in("kind", AFFAIR_KINDS), name="kind"),
    _period(),
    Index(None, "secretariat_id"),
    schema=REF,
)

fardap_office = Table(
    "fardap_office",
    metadata,
    Column("office_id", String(32), primary_key=True),
    # null: the central office
    Column("province_id", String(16), ForeignKey("ref.province.province_id")),
    Column("name_fa", Text, nullable=False),
    Column("email", Text),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    _period(),
    schema=REF,
)

# ---------------------------------------------------------------- rahyari: the people of each team

rahyari_role = Table(
    "rahyari_role",
    metadata,
    Column("role_id", String(40), primary_key=True),
    Column("team_id", String(32), ForeignKey("ref.rahyari_team.team_id"), nullable=False),
    # one person may hold two teams (e.g. two specialized sectors): two rows
    Column("person_id", String(32), ForeignKey("ref.person.person_id"), nullable=False),
    Column("role", String(8), nullable=False),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    CheckConstraint(_in("role", RAHYARI_ROLES), name="role"),
    _period(),
    Index(None, "team_id"),
    Index(None, "person_id"),
    schema=REF,
)

# ---------------------------------------------------------------- kanoons, members, memberships

kanoon = Table(
    "kanoon",
    metadata,
    Column("kanoon_id", String(40), primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("entrepreneurship_type", String(24)),
    Column("province_id", String(16), ForeignKey("ref.province.province_id"), nullable=False),
    # the region whose social rahyari guides it (null for a province-wide suppliers kanoon)
    Column("region_id", String(32), ForeignKey("ref.region.region_id")),
    # the specialised sector / domain / field of an entrepreneurship kanoon
    Column("taxon_code", String(32), ForeignKey("ref.taxon.code")),
    Column("social_group", Text),
    Column("name_fa", Text, nullable=False),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    CheckConstraint(_in("kind", KANOON_KINDS), name="kind"),
    CheckConstraint(
        f"(kind = 'entrepreneurship' AND {_in('entrepreneurship_type', ENTREPRENEURSHIP_TYPES)})"
        " OR (kind <> 'entrepreneurship' AND entrepreneurship_type IS NULL)",
        name="entrepreneurship_type",
    ),
    CheckConstraint("kind <> 'entrepreneurship' OR taxon_code IS NOT NULL", name="taxon"),
    CheckConstraint("kind <> 'exclusive' OR social_group IS NOT NULL", name="social_group"),
    _period(),
    Index(None, "province_id", "kind"),
    schema=REF,
)

member = Table(
    "member",
    metadata,
    Column("member_id", String(32), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("full_name", Text, nullable=False),
    # personal data: never leaves Rasad in a report
    Column("national_id", String(11), nullable=False),
    Column("mobile", String(11)),
    Column("province_id", String(16), ForeignKey("ref.province.province_id"), nullable=False),
    Column("region_id", String(32), ForeignKey("ref.region.region_id")),
    CheckConstraint(_in("kind", MEMBER_KINDS), name="kind"),
    UniqueConstraint("national_id"),
    schema=REF,
)

membership = Table(
    "membership",
    metadata,
    Column("membership_id", String(40), primary_key=True),
    Column("member_id", String(32), ForeignKey("ref.member.member_id"), nullable=False),
    Column("kanoon_id", String(40), ForeignKey("ref.kanoon.kanoon_id")),
    Column("system", String(16)),
    Column("valid_from", DayType, nullable=False),
    Column("valid_to", DayType),
    CheckConstraint(
        f"(kanoon_id IS NOT NULL AND system IS NULL) OR (kanoon_id IS NULL AND {_in('system', SYSTEMS)})",
        name="kanoon_or_system",
    ),
    _period(),
    Index(None, "member_id"),
    Index(None, "kanoon_id"),
    schema=REF,
)

# ---------------------------------------------------------------- monitoring: the seed's rules, broken

reference_violation = Table(
    "reference_violation",
    metadata,
    # hash(rule, entity_id, episode_start_day): a violation that lasts is one row, updated
    Column("violation_id", String(40), primary_key=True),
    Column("rule", String(48), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("entity_type", String(24), nullable=False),
    Column("entity_id", String(96), nullable=False),
    Column("province_id", String(16)),
    Column("detail", Text, nullable=False),
    Column("episode_start_day", DayType, nullable=False),
    Column("last_observed_day", DayType, nullable=False),
    Column("resolved_day", DayType),
    Column("routing", Text, nullable=False),
    CheckConstraint(_in("severity", VIOLATION_SEVERITIES), name="severity"),
    UniqueConstraint("rule", "entity_id", "episode_start_day"),
    Index(None, "province_id", "last_observed_day"),
    schema=MON,
)
