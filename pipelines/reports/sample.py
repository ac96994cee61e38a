"""A made-up province report, for previews and tests (`python -m pipelines.reports.render out.html`).

All names are invented. Timestamps are UTC ISO strings, as the pipeline stores them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pipelines.reports.model import ProvinceReport, ReportFinding

SAMPLE_DAY = date(2026, 11, 26)  # ۵ آذر ۱۴۰۵, Thursday (پنج‌شنبه)
DASHBOARD = "http://localhost:8501/finding?id="


def _f(
    n: int,
    rule: str,
    check: str,
    severity: str,
    status: str,
    start: date,
    seller: str,
    offer: str | None,
    entity_type: str,
    impact_rial: int,
    evidence: dict,
) -> ReportFinding:
    fid = f"f{n:04d}{rule[:4]}"
    return ReportFinding(
        finding_id=fid,
        rule=rule,
        check=check,
        severity=severity,
        status=status,
        episode_start_day=start,
        seller_id=f"S-{100 + n}",
        seller_name=seller,
        offer_id=f"OF-{200 + n}" if offer else None,
        offer_title=offer,
        entity_type=entity_type,
        entity_id=f"{entity_type[:3].upper()}-{9000 + n}",
        impact_rial=impact_rial,
        evidence=evidence,
        dashboard_url=DASHBOARD + fid,
    )


def sample_findings() -> list[ReportFinding]:
    d = SAMPLE_DAY
    return [
        _f(
            1,
            "price_peer_band",
            "price",
            "critical",
            "new",
            d,
            "هسته کار و کسب سیمان البرز",
            "سیمان تیپ 2 پاکتی 50 کیلویی",
            "offer",
            184_000_000,
            {
                "unit_price_rial": 2_450_000,
                "peer_median_rial": 1_380_000,
                "ratio": 1.775,
                "robust_z": 5.62,
                "peer_count": 14,
                "category_code": "CONST-CEM-02",
                "unit": "sack",
                "scope": "province",
            },
        ),
        _f(
            2,
            "quality_defect",
            "quality",
            "critical",
            "ongoing",
            date(2026, 11, 23),
            "تعاونی لبنیات دامداران شهریار",
            "پنیر سفید ۴۰۰ گرمی",
            "delivery",
            96_500_000,
            {
                "signals": ["grade_below_promised", "complaint", "returned"],
                "promised_quality": "A",
                "received_quality": "C",
                "buyer_rating": 2,
                "complaint": "not_as_described",
                "returned_qty": 35,
            },
        ),
        _f(
            3,
            "late_delivery",
            "on_time",
            "warning",
            "new",
            d,
            "تامین‌کننده برنج گیلان",
            "برنج هاشمی درجه یک ۱۰ کیلویی",
            "delivery",
            42_300_000,
            {
                "promised_at": "2026-11-24T10:30:00+00:00",
                "delivered_at": "2026-11-26T06:50:00Z",
                "hours_late": 44.33,
                "delivered_qty": 8,
                "order_quantity": 10,
            },
        ),
        _f(
            4,
            "overdue_order",
            "on_time",
            "warning",
            "ongoing",
            date(2026, 11, 20),
            "هسته کار و زندگی نان سنتی مهر",
            "نان سنگک منجمد",
            "order",
            31_200_000,
            {
                "promised_at": "2026-11-19T08:00:00Z",
                "days_overdue": 6,
                "order_quantity": 120,
                "delivered_qty": 40,
            },
        ),
        _f(
            5,
            "seller_cancellation",
            "on_time",
            "info",
            "new",
            d,
            "پوشاک کار ایمن",
            "لباس کار یکسره سایز 52",
            "order",
            18_750_000,
            {"order_quantity": 25, "cancelled_at": "2026-11-26T12:15:00Z"},
        ),
        _f(
            6,
            "quality_defect",
            "quality",
            "warning",
            "resolved",
            date(2026, 11, 21),
            "کارگاه فرش دستباف نائین",
            "قالیچه ۱٫۵ متری",
            "delivery",
            12_000_000,
            {"signals": ["low_rating"], "buyer_rating": 1.5},
        ),
        _f(
            7,
            "late_delivery",
            "on_time",
            "info",
            "new",
            d,
            "Tak Tire Co. 7",
            "لاستیک 205/55R16",
            "delivery",
            9_800_000,
            {
                "promised_at": "2026-11-25T20:00:00Z",
                "delivered_at": "2026-11-25T20:40:00Z",
                "hours_late": 0.67,
                "delivered_qty": 4,
                "order_quantity": 4,
            },
        ),
        _f(
            8,
            "stock_mismatch",
            "quality",
            "info",
            "new",
            d,
            "فروشگاه تعاونی کارکنان آموزش و پرورش",
            None,
            "seller",
            5_000_000,
            {"anything": "shown only by name"},
        ),
        _f(
            9,
            "price_peer_band",
            "price",
            "warning",
            "ongoing",
            date(2026, 11, 24),
            "روغن نباتی سپاهان",
            "روغن مایع ۱۸۱۰ گرمی",
            "offer",
            4_400_000,
            {
                "unit_price_rial": 1_890_000,
                "peer_median_rial": 1_450_000,
                "ratio": 1.3,
                "robust_z": 3.9,
                "peer_count": 41,
                "category_code": "FOOD-OIL",
                "unit": "piece",
                "scope": "national",
            },
        ),
        _f(
            10,
            "overdue_order",
            "on_time",
            "info",
            "resolved",
            date(2026, 11, 22),
            "هسته تولید رب گوجه ورامین",
            "رب گوجه ۸۰۰ گرمی",
            "order",
            2_100_000,
            {
                "promised_at": "2026-11-21T09:00:00Z",
                "days_overdue": 4,
                "order_quantity": 60,
                "delivered_qty": 60,
            },
        ),
        _f(
            11,
            "late_delivery",
            "on_time",
            "info",
            "new",
            d,
            "صنایع چوب کاج",
            "میز اداری ۱۲۰",
            "delivery",
            1_250_000,
            {
                "promised_at": "2026-11-25T06:30:00Z",
                "delivered_at": "2026-11-25T13:30:00Z",
                "hours_late": 7,
                "delivered_qty": 1,
                "order_quantity": 1,
            },
        ),
        _f(
            12,
            "seller_cancellation",
            "on_time",
            "info",
            "new",
            d,
            "عسل طبیعی سبلان",
            "عسل گون ۱ کیلویی",
            "order",
            950_000,
            {"order_quantity": 2, "cancelled_at": "2026-11-25T21:05:00Z"},
        ),
    ]


def sample_province_report(
    *,
    officer_name: str | None = "مریم احمدی",
    escalated_to: str | None = None,
    attention_budget: int = 5,
    findings: list[ReportFinding] | None = None,
) -> ProvinceReport:
    fs = sample_findings() if findings is None else findings
    return ProvinceReport(
        province_id="23",
        province_name_fa="تهران",
        day=SAMPLE_DAY,
        officer_name=officer_name,
        escalated_to=escalated_to,
        counts_today={"on_time": 7, "quality": 3, "price": 2},
        counts_prev_7d_avg={"on_time": 4.43, "quality": 3.0, "price": 2.71},
        new_count=sum(f.status == "new" for f in fs),
        ongoing_count=sum(f.status == "ongoing" for f in fs),
        resolved_count=sum(f.status == "resolved" for f in fs),
        findings=fs,
        attention_budget=attention_budget,
        generated_at=datetime(2026, 11, 26, 22, 30, tzinfo=UTC),  # 02:00 on 6 Azar, Tehran time
        rates=sample_rates(),
    )


def sample_rates():
    """Made-up rates: the province and one flagged seller, for the day and 7 and 30 days, beside the country."""
    from pipelines.reports.model import EntityRates, MeasureRates, Rate

    def r(part: int, whole: int) -> Rate:
        return Rate(part, whole, part / whole if whole else None)

    national = {"on_time": {1: r(9120, 9600), 7: r(64_100, 67_000), 30: r(271_000, 285_000)},
                "defect": {1: r(230, 9400), 7: r(1_650, 66_000), 30: r(6_900, 280_000)},
                "seller_cancel": {1: r(96, 9800), 7: r(700, 68_000), 30: r(2_900, 290_000)}}
    province = {"on_time": {1: r(468, 480), 7: r(3_020, 3_300), 30: r(13_100, 14_000)},
                "defect": {1: r(12, 470), 7: r(60, 3_250), 30: r(300, 13_800)},
                "seller_cancel": {1: r(3, 500), 7: r(40, 3_400), 30: r(130, 14_300)}}
    seller = {"on_time": {1: r(4, 9), 7: r(31, 52), 30: r(150, 210)},
              "defect": {1: r(0, 0), 7: r(6, 50), 30: r(14, 205)},
              "seller_cancel": {1: r(1, 10), 7: r(3, 55), 30: r(6, 220)}}
    return [EntityRates(kind, eid, name, [MeasureRates(m, own[m], national[m]) for m in own])
            for kind, eid, name, own in (("province", "23", "تهران", province),
                                         ("seller", "S-101", "فروشگاه برنج طلایی ۲", seller))]


def sample_fardap_digest():
    """A made-up national digest: 31 provinces, one without an officer, three escalated findings."""
    from pipelines.reports.digests import EscalatedFinding, FardapDigest, ProvinceFigures

    names = ["تهران", "اصفهان", "فارس", "خراسان رضوی", "آذربایجان شرقی", "خوزستان", "مازندران", "گیلان",
             "کرمان", "البرز", "قم", "یزد", "همدان", "کرمانشاه", "لرستان", "مرکزی", "قزوین", "زنجان",
             "گلستان", "اردبیل", "سمنان", "هرمزگان", "بوشهر", "کردستان", "آذربایجان غربی", "سیستان و بلوچستان",
             "چهارمحال و بختیاری", "کهگیلویه و بویراحمد", "ایلام", "خراسان شمالی", "خراسان جنوبی"]
    rows = [
        ProvinceFigures(
            province_id=str(i + 1), name_fa=name, delivered=40 + 13 * i, late=(i * 7) % 11,
            defects=(i * 5) % 6, active_offers=120 + 9 * i, price_findings=i % 4, open_findings=(i * 3) % 17,
            critical=i % 3, new=i % 5, open_week_ago=(i * 5) % 15,
            recipient_name="هماهنگ‌کننده فرداپ یزد" if name == "یزد" else f"عنصر رصد {name}",
            recipient_role="fardap_provincial" if name == "یزد" else "monitoring_officer",
            escalated=name == "یزد",
        )
        for i, name in enumerate(names)
    ]
    escalated = [EscalatedFinding(province_name_fa="یزد", recipient_name="هماهنگ‌کننده فرداپ یزد", finding=f)
                 for f in sample_findings()[:3]]
    return FardapDigest(day=SAMPLE_DAY, to_name="زهرا کریمی", to_email="fardap.central@rasad.example",
                        rows=rows, escalated=escalated, escalated_total=3,
                        generated_at=datetime(2026, 11, 26, 22, 30, tzinfo=UTC))


def sample_sector_digest():
    """A made-up weekly digest of one specialized rahyari team."""
    from datetime import timedelta

    from pipelines.reports.digests import PriceLevel, SectorDigest, SupplierToWatch

    return SectorDigest(
        team_id="spc-23-CONST", team_name_fa="رهیاری تخصصی ساختمان و مصالح - تهران",
        email="spc.23.const@rasad.example", province_id="23", province_name_fa="تهران",
        sector_code="CONST", sector_name_fa="ساختمان و مصالح ساختمانی",
        first_day=SAMPLE_DAY - timedelta(days=6), day=SAMPLE_DAY,
        delivered=412, late=37, defects=12, province_delivered=5210, province_late=388, province_defects=141,
        prices=[
            PriceLevel("سیمان پاکتی", "sack", 14, 1_450_000, 1_380_000),
            PriceLevel("آجر نسوز", "piece", 9, 38_000, 41_500),
            PriceLevel("میلگرد ۱۴", "kg", 6, 312_000, 309_000),
        ],
        anomalies=[f for f in sample_findings() if f.rule == "price_peer_band"],
        anomalies_total=2,
        suppliers=[
            SupplierToWatch("شرکت سیمان البرز", late=3, defects=1, price=2, findings=6, impact_rial=184_000_000),
            SupplierToWatch("شرکت آجر ری", late=1, defects=2, price=0, findings=3, impact_rial=21_000_000),
        ],
        generated_at=datetime(2026, 11, 26, 22, 30, tzinfo=UTC),
    )
