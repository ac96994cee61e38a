"""The Ombazar source contract (shared/CONTRACT.md, v1) as data.

One `EntityContract` per entity: its key, and each field with its kind, whether a value is
required, the allowed values of an enum and the range of a number. `pipelines.ingest.validation` and the
Great Expectations suites in `expectations/` are derived from this, and nothing else restates it.
Nullability follows the staging tables in `pipelines.ingest.tables`: a column that is NOT NULL there is
`required` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pipelines.errors import UserError

CONTRACT_VERSION = "1"

INT32_MAX = 2**31 - 1
# rials are stored as BIGINT; keep them where a float64 still holds them exactly (2**53)
RIAL_MAX = 2**53 - 1
# no order, delivery or stock of the marketplace holds ten million units: a larger quantity is a unit mix-up or
# a hostile value (1e23, 1e308), quarantined before any amount is computed from it
QUANTITY_MAX = 10_000_000
# an id is staged in a VARCHAR(64) key; free text (a name, a title) is one line of at most this many characters
ID_MAX_CHARS = 64
TEXT_MAX_CHARS = 1000
# control characters (C0, DEL, C1; tab, CR and LF too) have no place in an id or one line of free text: a NUL
# cannot be stored in PostgreSQL text or an XLSX cell, a CR or LF breaks a mail header. Leading and trailing
# whitespace (tab, CR, LF among it) is trimmed like any space; one left inside the value quarantines the row.
CONTROL_CHARACTERS = "[\x00-\x1f\x7f-\x9f]"


# the instants a source row may carry: nothing of the marketplace happened before EARLIEST_INSTANT (a 1969 is a
# zero epoch, not a change), and no deadline lies beyond LATEST_INSTANT (a 2099 or a 9999 is a placeholder)
EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)


class ContractError(UserError):
    """The source broke the contract as a whole (e.g. a required column is missing or renamed)."""


class Kind(StrEnum):
    """What a field holds, as the contract names it."""

    ID = "id"  # opaque identifier: trimmed, never otherwise rewritten
    TEXT = "text"  # free text typed by people: trimmed, Arabic ي/ك made Persian
    ENUM = "enum"  # one of `allowed`
    INT = "int"
    NUMBER = "number"
    TIMESTAMP = "timestamp"  # ISO-8601 with an offset, or a zone-aware datetime


@dataclass(frozen=True)
class Field:
    """One field of an entity."""

    name: str
    kind: Kind
    required: bool = False
    allowed: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    min_exclusive: bool = False  # `> min_value` rather than `>= min_value`
    references: str | None = None  # the key of the entity this field points to, e.g. "seller_id"
    future_allowed: bool = False  # a deadline may lie ahead; an event or a version may not
    max_length: int | None = None  # characters, for an id or free text

    def __post_init__(self) -> None:
        if self.max_length is None and self.kind in (Kind.ID, Kind.TEXT):
            object.__setattr__(self, "max_length", ID_MAX_CHARS if self.kind is Kind.ID else TEXT_MAX_CHARS)

    @property
    def parsed(self) -> bool:
        """Whether the raw value is text to be parsed into a number or a timestamp."""
        return self.kind in (Kind.INT, Kind.NUMBER, Kind.TIMESTAMP)


@dataclass(frozen=True)
class Related:
    """A timestamp of the row a reference points to, carried beside each row for an ordering check.

    E.g. `Related("order_ordered_at", via="order_id", field="ordered_at")`: beside each delivery, the
    `ordered_at` of its order, so that `not_before` can say a delivery is not delivered before it was ordered.
    """

    column: str  # the column beside the entity's own, on the frame the suite runs on
    via: str  # the entity's field that refers (its `references` names the referenced entity's key)
    field: str  # the timestamp field of the referenced entity


@dataclass(frozen=True)
class EntityContract:
    """One entity of the source: its key and its fields, in the staging table's order."""

    name: str
    key: str
    fields: tuple[Field, ...]
    # pairs (a, b): when b has a value, a must have one too
    required_together: tuple[tuple[str, str], ...] = ()
    # pairs (later, earlier): later >= earlier when both are given; either may be a `related` column
    not_before: tuple[tuple[str, str], ...] = ()
    related: tuple[Related, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The contract's column names, key first."""
        return tuple(f.name for f in self.fields)

    @property
    def suite_name(self) -> str:
        """The name of this entity's Great Expectations suite (and its file in `expectations/`)."""
        return f"ombazar_{self.name}"

    def field(self, name: str) -> Field:
        """The field called `name`."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    def related_column(self, name: str) -> Related | None:
        """The `Related` whose column is `name`, if any."""
        return next((r for r in self.related if r.column == name), None)


UNITS = ("piece", "kg", "ton", "litre", "metre", "m2", "m3", "pack", "carton", "set", "pair")
GRADES = ("A", "B", "C")
OFFER_STATUSES = ("active", "paused", "withdrawn")
PAYMENTS = ("cash", "nesieh")
DELIVERY_STATUSES = (
    "pending",
    "shipped",
    "delivered",
    "returned",
    "cancelled_by_seller",
    "cancelled_by_buyer",
)
RECEIVED_QUALITIES = ("A", "B", "C", "rejected")
COMPLAINTS = ("not_as_described", "damaged", "wrong_item", "short_quantity", "late", "other")


def _updated_at() -> Field:
    return Field("updated_at", Kind.TIMESTAMP, required=True)


SELLERS = EntityContract(
    name="sellers",
    key="seller_id",
    fields=(
        Field("seller_id", Kind.ID, required=True),
        Field("unit_id", Kind.ID, references="unit_id"),
        Field("display_name", Kind.TEXT),
        Field("joined_at", Kind.TIMESTAMP),
        _updated_at(),
    ),
)

OFFERS = EntityContract(
    name="offers",
    key="offer_id",
    fields=(
        Field("offer_id", Kind.ID, required=True),
        Field("seller_id", Kind.ID, required=True, references="seller_id"),
        Field("title", Kind.TEXT),
        Field("category_code", Kind.ID, required=True, references="category_code"),
        Field("unit", Kind.ENUM, required=True, allowed=UNITS),
        Field(
            "unit_price_rial", Kind.INT, required=True, min_value=0, min_exclusive=True, max_value=RIAL_MAX
        ),
        Field("nesieh_months", Kind.INT, min_value=1, max_value=INT32_MAX),
        Field("nesieh_unit_price_rial", Kind.INT, min_value=0, min_exclusive=True, max_value=RIAL_MAX),
        Field("promised_quality", Kind.ENUM, required=True, allowed=GRADES),
        Field("promised_lead_days", Kind.INT, required=True, min_value=0, max_value=INT32_MAX),
        Field("stock_qty", Kind.NUMBER, min_value=0, max_value=QUANTITY_MAX),
        Field("status", Kind.ENUM, required=True, allowed=OFFER_STATUSES),
        Field("created_at", Kind.TIMESTAMP, required=True),
        _updated_at(),
    ),
    required_together=(
        ("nesieh_months", "nesieh_unit_price_rial"),
        ("nesieh_unit_price_rial", "nesieh_months"),
    ),
)

ORDERS = EntityContract(
    name="orders",
    key="order_id",
    fields=(
        Field("order_id", Kind.ID, required=True),
        Field("offer_id", Kind.ID, required=True, references="offer_id"),
        Field("buyer_member_id", Kind.ID),
        Field("quantity", Kind.NUMBER, required=True, min_value=0, min_exclusive=True, max_value=QUANTITY_MAX),
        Field(
            "unit_price_rial", Kind.INT, required=True, min_value=0, min_exclusive=True, max_value=RIAL_MAX
        ),
        Field("payment", Kind.ENUM, required=True, allowed=PAYMENTS),
        Field("ordered_at", Kind.TIMESTAMP, required=True),
        Field("promised_at", Kind.TIMESTAMP, required=True, future_allowed=True),
        _updated_at(),
    ),
    not_before=(("promised_at", "ordered_at"),),
)

DELIVERIES = EntityContract(
    name="deliveries",
    key="delivery_id",
    fields=(
        Field("delivery_id", Kind.ID, required=True),
        Field("order_id", Kind.ID, required=True, references="order_id"),
        Field("status", Kind.ENUM, required=True, allowed=DELIVERY_STATUSES),
        Field("shipped_at", Kind.TIMESTAMP),
        Field("delivered_at", Kind.TIMESTAMP),
        Field("delivered_qty", Kind.NUMBER, min_value=0, max_value=QUANTITY_MAX),
        Field("received_quality", Kind.ENUM, allowed=RECEIVED_QUALITIES),
        Field("buyer_rating", Kind.INT, min_value=1, max_value=5),
        Field("complaint", Kind.ENUM, allowed=COMPLAINTS),
        Field("returned_qty", Kind.NUMBER, min_value=0, max_value=QUANTITY_MAX),
        _updated_at(),
    ),
    related=(Related("order_ordered_at", via="order_id", field="ordered_at"),),
    not_before=(
        ("delivered_at", "shipped_at"),
        ("updated_at", "delivered_at"),  # a delivery cannot be recorded before it happened
        ("delivered_at", "order_ordered_at"),  # nor delivered before it was ordered
    ),
)

CONTRACT: dict[str, EntityContract] = {c.name: c for c in (SELLERS, OFFERS, ORDERS, DELIVERIES)}
ENTITIES: tuple[str, ...] = tuple(CONTRACT)


def entity_contract(entity: str) -> EntityContract:
    """The contract of `entity`, or `ContractError` naming the entities there are."""
    try:
        return CONTRACT[entity]
    except KeyError:
        raise ContractError(f"unknown entity {entity!r}: the contract has {', '.join(ENTITIES)}") from None
