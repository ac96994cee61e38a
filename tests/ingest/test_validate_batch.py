"""validate_batch: normalisation, every kind of bad input, and the accounting invariant."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from pipelines.ingest.validation import QUARANTINE_COLUMNS, ValidationOutcome, validate_batch
from pipelines.source.contract import CONTRACT, ContractError

pytestmark = pytest.mark.unit

EXTRACTED_AT = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)


def offer(**overrides: object) -> dict[str, object]:
    """One clean offer as text, the way SQLite hands it."""
    row: dict[str, object] = {
        "offer_id": "of-1",
        "seller_id": "se-1",
        "title": "عسل کوهستان",
        "category_code": "sb-101",
        "unit": "kg",
        "unit_price_rial": "12000",
        "nesieh_months": None,
        "nesieh_unit_price_rial": None,
        "promised_quality": "A",
        "promised_lead_days": "3",
        "stock_qty": "12.5",
        "status": "active",
        "created_at": "2026-11-20T10:00:00+03:30",
        "updated_at": "2026-11-25T09:00:00+00:00",
    }
    row.update(overrides)
    return row


def delivery(**overrides: object) -> dict[str, object]:
    """One clean delivery as text."""
    row: dict[str, object] = {
        "delivery_id": "de-1",
        "order_id": "or-1",
        "status": "delivered",
        "shipped_at": "2026-11-22T08:00:00Z",
        "delivered_at": "2026-11-24T08:00:00Z",
        "delivered_qty": "10",
        "received_quality": "B",
        "buyer_rating": "4",
        "complaint": None,
        "returned_qty": None,
        "updated_at": "2026-11-25T08:00:00Z",
    }
    row.update(overrides)
    return row


def order(**overrides: object) -> dict[str, object]:
    """One clean order as text."""
    row: dict[str, object] = {
        "order_id": "or-1",
        "offer_id": "of-1",
        "buyer_member_id": "mb-1",
        "quantity": "10",
        "unit_price_rial": "12000",
        "payment": "cash",
        "ordered_at": "2026-11-20T08:00:00Z",
        "promised_at": "2026-11-27T08:00:00Z",
        "updated_at": "2026-11-25T08:00:00Z",
    }
    row.update(overrides)
    return row


def batch(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), dtype=object)


def run(entity: str, *rows: dict[str, object], **kwargs: object) -> ValidationOutcome:
    outcome = validate_batch(entity, batch(*rows), extracted_at=EXTRACTED_AT, **kwargs)
    assert outcome.rows_in == len(outcome.valid) + len(outcome.quarantined) + outcome.duplicates_dropped
    return outcome


def only_quarantined(outcome: ValidationOutcome) -> pd.Series:
    assert len(outcome.valid) == 0, outcome.valid
    assert len(outcome.quarantined) == 1, outcome.quarantined
    return outcome.quarantined.iloc[0]


# ------------------------------------------------------------------------------- clean rows


def test_clean_offers_pass_typed_and_normalised():
    out = run(
        "offers",
        offer(),
        offer(
            offer_id="  of-2 ",
            title=" برنج طارم درجه يك ",
            unit_price_rial="۱۲۰۰۰",
            nesieh_months="٦",
            nesieh_unit_price_rial="۱٬۴۵۰٬۰۰۰",
            stock_qty="1,250.5",
            created_at="2026-11-20T06:30:00.5+03:30",
        ),
    )
    assert out.quarantined.empty
    assert out.extra_columns == () and out.duplicates_dropped == 0 and out.rows_in == 2
    valid = out.valid
    assert tuple(valid.columns) == CONTRACT["offers"].columns
    assert str(valid["unit_price_rial"].dtype) == "Int64"
    assert str(valid["nesieh_months"].dtype) == "Int64"
    assert valid["stock_qty"].dtype == np.float64
    assert (
        isinstance(valid["created_at"].dtype, pd.DatetimeTZDtype) and str(valid["created_at"].dt.tz) == "UTC"
    )
    second = valid.iloc[1]
    assert second["offer_id"] == "of-2"
    assert second["title"] == "برنج طارم درجه یک"  # Arabic ي/ك made Persian, trimmed
    assert second["unit_price_rial"] == 12000
    assert second["nesieh_months"] == 6
    assert second["nesieh_unit_price_rial"] == 1_450_000
    assert second["stock_qty"] == 1250.5
    assert second["created_at"] == pd.Timestamp("2026-11-20T03:00:00.5", tz="UTC")
    assert pd.isna(valid.iloc[0]["nesieh_months"])


def test_typed_rows_from_postgresql_pass():
    raw = batch(offer(), offer(offer_id="of-2", nesieh_months="3", nesieh_unit_price_rial="15000"))
    raw["unit_price_rial"] = pd.array([12000, 13000], dtype="Int64")
    raw["nesieh_months"] = [np.nan, 3.0]  # ints with nulls arrive as floats
    raw["nesieh_unit_price_rial"] = [np.nan, 15000.0]
    raw["stock_qty"] = [1.5, 2.0]
    raw["created_at"] = pd.to_datetime(["2026-11-20T10:00:00+03:30", "2026-11-21T10:00:00Z"], utc=True)
    raw["updated_at"] = [datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 25, 1, tzinfo=UTC)]
    out = validate_batch("offers", raw, extracted_at=EXTRACTED_AT)
    assert out.quarantined.empty, out.quarantined["reason"].tolist()
    assert out.valid["nesieh_months"].tolist()[1] == 3
    assert out.valid["updated_at"].iloc[1] == pd.Timestamp("2026-11-25T01:00:00Z")


def test_typed_values_that_break_the_contract_are_quarantined_as_their_text_is():
    """A typed column is read without its text, yet fails the same expectations with the same reasons."""
    rows = [
        delivery(),
        delivery(delivery_id="de-2", delivered_qty="inf"),
        delivery(delivery_id="de-3", buyer_rating="2.5"),
        delivery(delivery_id="de-4", buyer_rating="7"),
        delivery(delivery_id="de-5", delivered_qty="-1"),
        delivery(delivery_id="de-6", updated_at="2026-11-27T00:00:00Z"),
    ]
    as_text = run("deliveries", *rows)
    typed = batch(*rows)
    typed["delivered_qty"] = typed["delivered_qty"].astype("float64")
    typed["buyer_rating"] = typed["buyer_rating"].astype("float64")  # ints with nulls arrive as floats
    for column in ("shipped_at", "delivered_at", "updated_at"):
        typed[column] = pd.to_datetime(typed[column], utc=True)
    out = validate_batch("deliveries", typed, extracted_at=EXTRACTED_AT)
    assert out.valid["delivery_id"].tolist() == as_text.valid["delivery_id"].tolist() == ["de-1"]
    pd.testing.assert_frame_equal(out.valid, as_text.valid)
    by_id = out.quarantined.set_index("source_id")
    expected = as_text.quarantined.set_index("source_id")
    assert by_id["failed_expectations"].to_dict() == expected["failed_expectations"].to_dict() == {
        "de-2": "expect_column_values_to_match_regex:delivered_qty__text",
        "de-3": "expect_column_values_to_match_regex:buyer_rating__text",
        "de-4": "expect_column_values_to_be_between:buyer_rating",
        "de-5": "expect_column_values_to_be_between:delivered_qty",
        "de-6": "expect_column_values_to_be_between:updated_at",
    }
    for source_id in ("de-2", "de-3", "de-4"):
        assert by_id.loc[source_id, "reason"] == expected.loc[source_id, "reason"]
    assert by_id.loc["de-3", "reason"] == "buyer_rating '2.5' is not an integer."
    # a typed value is quoted as the text of its value: a float as a float, an instant in ISO-8601
    assert by_id.loc["de-5", "reason"] == "delivered_qty '-1.0' is less than 0."
    assert by_id.loc["de-6", "reason"].startswith("updated_at '2026-11-27T00:00:00.000000Z' is a future timestamp")


def test_clean_deliveries_and_orders_pass():
    assert run(
        "deliveries",
        delivery(),
        delivery(
            delivery_id="de-2",
            status="pending",
            shipped_at=None,
            delivered_at=None,
            delivered_qty=None,
            received_quality=None,
            buyer_rating=None,
        ),
    ).quarantined.empty
    # a deadline may lie after the extraction time
    assert run("orders", order(promised_at="2026-12-30T00:00:00Z")).quarantined.empty


def test_empty_batch():
    out = validate_batch("offers", pd.DataFrame(), extracted_at=EXTRACTED_AT)
    assert out.rows_in == 0 and out.valid.empty and out.quarantined.empty
    assert tuple(out.valid.columns) == CONTRACT["offers"].columns
    assert tuple(out.quarantined.columns) == QUARANTINE_COLUMNS


# ------------------------------------------------------------------------- broken contract


def test_missing_or_renamed_column_raises_contract_error():
    raw = batch(offer()).rename(columns={"unit_price_rial": "price_rial"})
    with pytest.raises(ContractError, match=r"offers.*unit_price_rial"):
        validate_batch("offers", raw, extracted_at=EXTRACTED_AT)


def test_extra_columns_are_tolerated_and_reported():
    out = run("offers", offer(shop_colour="blue", promo="x"))
    assert out.extra_columns == ("shop_colour", "promo")
    assert len(out.valid) == 1 and "shop_colour" not in out.valid.columns


def test_unknown_entity_raises():
    with pytest.raises(ContractError, match="buyers"):
        validate_batch("buyers", batch(offer()), extracted_at=EXTRACTED_AT)


def test_naive_extraction_time_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        validate_batch("offers", batch(offer()), extracted_at=datetime(2026, 11, 26))


# ------------------------------------------------------------------------------- bad rows


def test_wrong_type_is_quarantined():
    q = only_quarantined(run("offers", offer(unit_price_rial="abc")))
    assert q["failed_expectations"] == "expect_column_values_to_match_regex:unit_price_rial__text"
    assert "unit_price_rial 'abc' is not an integer" in q["reason"]
    assert q["source_id"] == "of-1"
    assert q["source_updated_at"] == "2026-11-25T09:00:00+00:00"


def test_fraction_in_an_integer_column_is_quarantined():
    q = only_quarantined(run("offers", offer(promised_lead_days="2.5")))
    assert q["failed_expectations"] == "expect_column_values_to_match_regex:promised_lead_days__text"


def test_null_key_is_quarantined():
    for key in (None, "   "):
        q = only_quarantined(run("offers", offer(offer_id=key)))
        assert q["failed_expectations"] == "expect_column_values_to_not_be_null:offer_id"
        assert q["source_id"] is None
        assert "offer_id is missing" in q["reason"]


def test_missing_required_value_is_quarantined():
    q = only_quarantined(run("offers", offer(unit_price_rial=None)))
    assert q["failed_expectations"] == "expect_column_values_to_not_be_null:unit_price_rial"


def test_same_key_and_version_with_different_payloads_quarantines_every_copy():
    out = run(
        "offers", offer(unit_price_rial="12000"), offer(unit_price_rial="13000"), offer(offer_id="of-2")
    )
    assert len(out.valid) == 1 and out.valid["offer_id"].tolist() == ["of-2"]
    assert len(out.quarantined) == 2
    assert set(out.quarantined["failed_expectations"]) == {
        "expect_compound_columns_to_be_unique:offer_id+updated_at"
    }
    assert out.duplicates_dropped == 0


def test_exact_duplicates_are_collapsed_not_quarantined():
    out = run("offers", offer(), offer(), offer(), offer(updated_at="2026-11-25T10:00:00Z"))
    assert out.duplicates_dropped == 2
    assert len(out.valid) == 2 and out.quarantined.empty


@pytest.mark.parametrize("price", ["0", "-5", "۰"])
def test_zero_or_negative_price_is_quarantined(price):
    q = only_quarantined(run("offers", offer(unit_price_rial=price)))
    assert q["failed_expectations"] == "expect_column_values_to_be_between:unit_price_rial"
    assert "is not greater than 0" in q["reason"]


def test_unknown_enum_value_is_quarantined():
    q = only_quarantined(run("offers", offer(unit="bushel")))
    assert q["failed_expectations"] == "expect_column_values_to_be_in_set:unit"
    assert "unit 'bushel' is not one of piece, kg" in q["reason"]


def test_unknown_references_are_quarantined_when_known_is_given():
    known = {"category_code": {"sb-101"}, "seller_id": {"se-1"}}
    out = run(
        "offers",
        offer(),
        offer(offer_id="of-2", category_code="sb-999"),
        offer(offer_id="of-3", seller_id="se-9"),
        known=known,
    )
    assert out.valid["offer_id"].tolist() == ["of-1"]
    by_id = out.quarantined.set_index("source_id")["failed_expectations"].to_dict()
    assert by_id == {"of-2": "known_reference:category_code", "of-3": "known_reference:seller_id"}
    # without `known`, references are not checked
    assert run("offers", offer(category_code="sb-999")).quarantined.empty


@pytest.mark.parametrize(
    ("entity", "row", "reference"),
    [("orders", order(offer_id="of-x"), "offer_id"), ("deliveries", delivery(order_id="or-x"), "order_id")],
)
def test_unknown_order_and_offer_references(entity, row, reference):
    q = only_quarantined(run(entity, row, known={reference: {"known-1"}}))
    assert q["failed_expectations"] == f"known_reference:{reference}"


def test_zoneless_timestamp_is_quarantined_never_guessed():
    q = only_quarantined(run("offers", offer(created_at="2026-11-20T10:00:00")))
    assert q["failed_expectations"] == "expect_column_values_to_not_match_regex:created_at__text"
    assert "has no time zone" in q["reason"]


def test_naive_datetimes_from_a_typed_source_are_quarantined():
    raw = batch(offer())
    raw["updated_at"] = pd.to_datetime(["2026-11-25T09:00:00"])
    out = validate_batch("offers", raw, extracted_at=EXTRACTED_AT)
    assert out.valid.empty
    assert out.quarantined["failed_expectations"].tolist() == [
        "expect_column_values_to_not_match_regex:updated_at__text"
    ]


def test_not_a_timestamp_is_quarantined():
    q = only_quarantined(run("offers", offer(created_at="yesterday")))
    assert q["failed_expectations"] == "expect_column_values_to_match_regex:created_at__text"


def test_impossible_date_is_quarantined_not_nulled():
    q = only_quarantined(run("deliveries", delivery(delivered_at="2026-02-30T08:00:00Z")))
    assert q["failed_expectations"] == "parse_error:delivered_at"


def test_future_timestamp_is_quarantined():
    tolerated = (EXTRACTED_AT + timedelta(minutes=4)).isoformat()
    too_late = (EXTRACTED_AT + timedelta(minutes=6)).isoformat()
    out = run("offers", offer(updated_at=tolerated), offer(offer_id="of-2", updated_at=too_late))
    assert out.valid["offer_id"].tolist() == ["of-1"]
    q = out.quarantined.iloc[0]
    assert q["failed_expectations"] == "expect_column_values_to_be_between:updated_at"
    assert "future timestamp" in q["reason"]


@pytest.mark.parametrize("rating", ["0", "6", "-1"])
def test_buyer_rating_out_of_range_is_quarantined(rating):
    q = only_quarantined(run("deliveries", delivery(buyer_rating=rating)))
    assert q["failed_expectations"] == "expect_column_values_to_be_between:buyer_rating"


def test_nesieh_price_without_months_is_quarantined():
    out = run("offers", offer(nesieh_unit_price_rial="15000"), offer(offer_id="of-2", nesieh_months="6"))
    assert out.valid.empty
    by_id = out.quarantined.set_index("source_id")
    assert by_id.loc["of-1", "failed_expectations"] == "expect_column_values_to_not_be_null:nesieh_months"
    assert "nesieh_months is missing although nesieh_unit_price_rial is given" in by_id.loc["of-1", "reason"]
    assert by_id.loc["of-2", "failed_expectations"] == (
        "expect_column_values_to_not_be_null:nesieh_unit_price_rial"
    )


def test_deadline_before_the_order_is_quarantined():
    q = only_quarantined(run("orders", order(promised_at="2026-11-19T08:00:00Z")))
    assert (
        q["failed_expectations"] == "expect_column_pair_values_a_to_be_greater_than_b:promised_at+ordered_at"
    )


PAIR = "expect_column_pair_values_a_to_be_greater_than_b"


@pytest.mark.parametrize(
    ("change", "name", "reason"),
    [
        (
            {"shipped_at": "2026-11-24T09:00:00Z"},
            f"{PAIR}:delivered_at+shipped_at",
            "delivered_at '2026-11-24 08:00:00+00:00' is earlier than shipped_at.",
        ),
        (
            {"updated_at": "2026-11-24T07:59:59Z"},
            f"{PAIR}:updated_at+delivered_at",
            "updated_at '2026-11-24 07:59:59+00:00' is earlier than delivered_at.",
        ),
    ],
)
def test_a_delivery_out_of_order_is_quarantined(change, name, reason):
    out = run("deliveries", delivery(), delivery(delivery_id="de-2", **change))
    assert out.valid["delivery_id"].tolist() == ["de-1"]
    q = out.quarantined.iloc[0]
    assert (q["source_id"], q["failed_expectations"], q["reason"]) == ("de-2", name, reason)


def test_delivery_orderings_skip_what_is_missing():
    out = run(
        "deliveries",
        delivery(shipped_at=None),
        delivery(delivery_id="de-2", status="shipped", delivered_at=None, delivered_qty=None),
        delivery(delivery_id="de-3", shipped_at="2026-11-24T08:00:00Z", updated_at="2026-11-24T08:00:00Z"),
    )
    assert out.quarantined.empty and len(out.valid) == 3


def test_a_delivery_before_its_order_is_quarantined():
    ordered_at = pd.Series(
        pd.to_datetime(["2026-11-20T08:00:00Z", "2026-11-24T09:30:00Z", "2026-11-24T08:00:00Z"]),
        index=["or-1", "or-2", "or-3"],
    )
    out = run(
        "deliveries",
        delivery(),
        delivery(delivery_id="de-2", order_id="or-2"),  # delivered half an hour before it was ordered
        delivery(delivery_id="de-3", order_id="or-3"),  # delivered the instant it was ordered
        delivery(delivery_id="de-4", order_id="or-9"),  # an order not given: the reference check's
        delivery(delivery_id="de-5", order_id="or-2", status="pending", shipped_at=None, delivered_at=None),
        related={"order_ordered_at": ordered_at},
    )
    assert out.valid["delivery_id"].tolist() == ["de-1", "de-3", "de-4", "de-5"]
    q = only_quarantined(run("deliveries", delivery(order_id="or-2"), related={"order_ordered_at": ordered_at}))
    assert q["failed_expectations"] == f"{PAIR}:delivered_at+order_ordered_at"
    assert q["reason"] == (
        "delivered_at '2026-11-24 08:00:00+00:00' is earlier than its order's ordered_at "
        "'2026-11-24 09:30:00+00:00'."
    )
    # not given, the order's time is unknown and nothing is checked against it
    assert run("deliveries", delivery(order_id="or-2")).quarantined.empty


def test_one_row_can_fail_several_expectations_and_names_them_all():
    q = only_quarantined(run("offers", offer(unit="bushel", unit_price_rial="abc", status="gone")))
    assert q["failed_expectations"].split(",") == [
        "expect_column_values_to_be_in_set:unit",
        "expect_column_values_to_match_regex:unit_price_rial__text",
        "expect_column_values_to_be_in_set:status",
    ]
    assert q["reason"].count(";") == 2 and q["reason"].endswith(".")


# ----------------------------------------------------------------------------- accounting


def test_every_row_ends_up_in_exactly_one_place():
    rows = [
        offer(offer_id="of-1"),
        offer(offer_id="of-1"),  # exact duplicate
        offer(offer_id="of-2", unit="bushel"),
        offer(offer_id="of-3", unit_price_rial="۱۲۰۰۰"),
        offer(offer_id="of-4", unit_price_rial="1"),
        offer(offer_id="of-4", unit_price_rial="2"),  # conflicting versions
        offer(offer_id=None),
        offer(offer_id="of-5", created_at="2026-11-20T10:00:00"),
        offer(offer_id="of-6", extra="x"),
    ]
    out = run("offers", *rows)
    assert out.rows_in == 9
    assert out.duplicates_dropped == 1
    assert sorted(out.valid["offer_id"]) == ["of-1", "of-3", "of-6"]
    assert len(out.quarantined) == 5
    assert tuple(out.quarantined.columns) == QUARANTINE_COLUMNS
    assert out.quarantined["reason"].str.len().gt(0).all()


def test_raw_payload_is_the_row_as_received():
    out = run("offers", offer(unit="bushel", title="a/b ي", extra_field=7))
    payload = json.loads(out.quarantined.iloc[0]["raw_payload"])
    assert payload == offer(unit="bushel", title="a/b ي", extra_field=7)
    assert list(payload) == list(offer(extra_field=7))  # order as received
    assert "\\/" not in out.quarantined.iloc[0]["raw_payload"]


def test_failed_expectation_counts():
    out = run("offers", offer(unit="bushel"), offer(offer_id="of-2", unit="bushel", status="gone"))
    assert out.failed_expectation_counts == {
        "expect_column_values_to_be_in_set:unit": 2,
        "expect_column_values_to_be_in_set:status": 1,
    }


def test_large_batch_is_whole_column_work():
    n = 20_000
    raw = pd.concat([batch(offer())] * n, ignore_index=True)
    raw["offer_id"] = "of-" + pd.Series(np.arange(n)).astype("str")
    raw.loc[raw.index % 100 == 0, "unit"] = "bushel"
    out = validate_batch("offers", raw, extracted_at=EXTRACTED_AT)
    assert len(out.quarantined) == n // 100
    assert len(out.valid) == n - n // 100
