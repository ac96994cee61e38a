"""The message catalogue: every Persian word or sentence an officer reads comes from here.

Keys are dotted English identifiers (`rule.late_delivery`, `report.title`, ...); values are Persian strings
with `str.format` placeholders. `t(key, **kwargs)` formats a message and turns every digit into a Persian
digit. An unknown key raises `KeyError`; code that must show something for a key it does not know (a new
rule, say) uses `label(kind, key)`, which falls back to the raw key.

Format numbers, amounts and dates with `pipelines.persian` before passing them in (t only converts digits;
it does not add thousands separators).
"""

from __future__ import annotations

from types import MappingProxyType

from pipelines.persian import to_persian_digits

# The identifiers the pipeline uses; the catalogue must name every one (a test checks this).
RULES = ("late_delivery", "overdue_order", "seller_cancellation", "quality_defect", "price_peer_band",
         "price_own_history_jump", "price_nesieh_markup", "price_model_outlier",
         "scorecard_on_time", "scorecard_quality", "scorecard_seller_cancel", "source_silent")
CHECKS = ("on_time", "quality", "price", "ingest")
SEVERITIES = ("info", "warning", "critical")
STATUSES = ("new", "ongoing", "resolved")
QUALITY_SIGNALS = ("grade_below_promised", "rejected", "returned", "complaint", "low_rating")
VERDICTS = ("acknowledged", "false_positive", "actioned")
COMPLAINTS = ("not_as_described", "damaged", "wrong_item", "short_quantity", "late", "other")
GRADES = ("A", "B", "C", "rejected")
ENTITY_TYPES = ("delivery", "order", "offer", "seller")
PRICE_SCOPES = ("national", "province")
PEER_LEVELS = ("sub_branch", "branch", "field")

_MESSAGES: dict[str, str] = {
    # --- rules (a finding's kind) ---
    "rule.late_delivery": "تحویل با تأخیر",
    "rule.overdue_order": "سفارش معوق",
    "rule.seller_cancellation": "لغو توسط فروشنده",
    "rule.quality_defect": "کیفیت خلاف وعده",
    "rule.price_peer_band": "قیمت نامتعارف نسبت به همتایان",
    "rule.source_silent": "سکوت غیرعادی منبع داده بازار",
    "rule.price_own_history_jump": "جهش ناگهانی قیمت نسبت به سابقه همین پیشنهاد",
    "rule.price_nesieh_markup": "افزایش نامتعارف قیمت نسیه",
    "rule.price_model_outlier": "قیمت غیرعادی به تشخیص مدل",
    "rule.scorecard_on_time": "کارنامه فروشنده: نرخ تحویل به‌موقع پایین",
    "rule.scorecard_quality": "کارنامه فروشنده: نرخ کیفیت خلاف وعده بالا",
    "rule.scorecard_seller_cancel": "کارنامه فروشنده: نرخ لغو توسط فروشنده بالا",
    # --- officers' verdicts on a finding ---
    "verdict.acknowledged": "دیده شد",
    "verdict.false_positive": "هشدار نادرست",
    "verdict.actioned": "اقدام شد",
    # --- checks (the three questions of the seed: on time? quality as promised? abnormal price?) ---
    "check.on_time": "به‌موقع بودن",
    "check.quality": "کیفیت",
    "check.price": "قیمت",
    "check.ingest": "دریافت داده از بازار",
    # --- severities ---
    "severity.info": "اطلاع",
    "severity.warning": "هشدار",
    "severity.critical": "بحرانی",
    # --- statuses of a finding's episode ---
    "status.new": "جدید",
    "status.ongoing": "ادامه‌دار",
    "status.resolved": "رفع‌شده",
    "status.ongoing_since": "ادامه‌دار از {date}",
    # --- quality signals ---
    "signal.grade_below_promised": "درجه کیفیت پایین‌تر از وعده",
    "signal.rejected": "مردود شدن کالا",
    "signal.returned": "مرجوع شدن کالا",
    "signal.complaint": "شکایت خریدار",
    "signal.low_rating": "امتیاز پایین خریدار",
    # --- complaint reasons ---
    "complaint.not_as_described": "مغایر با توضیحات",
    "complaint.damaged": "آسیب‌دیده",
    "complaint.wrong_item": "کالای اشتباه",
    "complaint.short_quantity": "کسری مقدار",
    "complaint.late": "دیر رسیدن",
    "complaint.other": "سایر",
    # --- quality grades ---
    "grade.A": "درجه یک",
    "grade.B": "درجه دو",
    "grade.C": "درجه سه",
    "grade.rejected": "مردود",
    # --- entities a finding is about ---
    "entity.delivery": "تحویل",
    "entity.order": "سفارش",
    "entity.offer": "پیشنهاد فروش",
    "entity.seller": "فروشنده",
    # --- peer scope of a price band ---
    "scope.national": "کل کشور",
    "scope.province": "استان",
    # --- taxonomy level a price band compared with (it falls back when the sub-branch has few offers) ---
    "level.sub_branch": "زیرشاخه",
    "level.branch": "شاخه",
    "level.field": "رشته",
    # --- units ---
    "unit.toman": "تومان",
    "unit.toman_amount": "{amount} تومان",
    "unit.kg": "کیلوگرم",
    "unit.g": "گرم",
    "unit.ton": "تن",
    "unit.piece": "عدد",
    "unit.item": "عدد",
    "unit.liter": "لیتر",
    "unit.litre": "لیتر",
    "unit.meter": "متر",
    "unit.metre": "متر",
    "unit.m3": "متر مکعب",
    "unit.m2": "متر مربع",
    "unit.pack": "بسته",
    "unit.box": "جعبه",
    "unit.carton": "کارتن",
    "unit.pair": "جفت",
    "unit.set": "دست",
    "unit.sack": "کیسه",
    "unit.hour": "ساعت",
    "unit.day": "روز",
    # --- calendar (jdatetime numbering: months 1..12, weekdays 0 = Saturday .. 6 = Friday) ---
    "calendar.month.1": "فروردین",
    "calendar.month.2": "اردیبهشت",
    "calendar.month.3": "خرداد",
    "calendar.month.4": "تیر",
    "calendar.month.5": "مرداد",
    "calendar.month.6": "شهریور",
    "calendar.month.7": "مهر",
    "calendar.month.8": "آبان",
    "calendar.month.9": "آذر",
    "calendar.month.10": "دی",
    "calendar.month.11": "بهمن",
    "calendar.month.12": "اسفند",
    "calendar.weekday.0": "شنبه",
    "calendar.weekday.1": "یک‌شنبه",
    "calendar.weekday.2": "دوشنبه",
    "calendar.weekday.3": "سه‌شنبه",
    "calendar.weekday.4": "چهارشنبه",
    "calendar.weekday.5": "پنج‌شنبه",
    "calendar.weekday.6": "جمعه",
    "calendar.date_time": "{date} ساعت {time}",
    "calendar.tehran_time": "به وقت تهران",
    # --- organisation ---
    "org.officer": "عنصر رصد و پایش",
    "org.central_fardap": "فرداپ مرکزی",
    "org.province_fardap": "هماهنگ‌کننده فرداپ استان",
    "org.product": "رصد — پایش کیفیت امبازار",
    # --- the daily province report ---
    "report.title": "گزارش روزانه رصد و پایش امبازار",
    "report.document_title": "گزارش رصد استان {province} — {date}",
    "report.province": "استان {province}",
    "report.day": "روز پایش",
    "report.to_officer": "گیرنده: {name}، عنصر رصد و پایش استان",
    "report.no_officer": "این استان در روز پایش عنصر رصد و پایش ندارد.",
    "report.escalated_to": "گزارش برای {recipient} فرستاده شده است تا پیگیری شود.",
    "report.summary_heading": "خلاصه روز",
    "report.summary.check": "محور بررسی",
    "report.summary.today": "یافته‌های امروز",
    "report.summary.prev_avg": "میانگین روزانه {days} روز پیش",
    "report.summary.change": "نسبت به میانگین",
    "report.summary.total": "جمع",
    "report.change.up": "{diff} بیشتر",
    "report.change.down": "{diff} کمتر",
    "report.change.same": "بدون تغییر",
    "report.status_heading": "وضعیت یافته‌ها",
    "report.status.new": "یافته جدید",
    "report.status.ongoing": "ادامه‌دار از روزهای پیش",
    "report.status.resolved": "رفع‌شده امروز",
    "report.top_heading": "مهم‌ترین یافته‌ها",
    "report.top_intro": "{shown} یافته از {total} یافته امروز، به ترتیب اثر مالی.",
    "report.no_findings": "امروز یافته‌ای ثبت نشده است.",
    "report.rest_heading": "سایر یافته‌ها",
    "report.rest_intro": "این یافته‌ها خلاصه آمده‌اند؛ جزئیات هر یک در داشبورد است.",
    "report.more_pointer": (
        "{count} یافته دیگر در این گزارش نیامده است؛ فهرست کامل در فایل اکسل پیوست و در داشبورد رصد است."
    ),
    "report.generated_at": "تهیه‌شده در {datetime} به وقت تهران",
    "report.times_note": "همه زمان‌ها به وقت تهران است و مبالغ به تومان.",
    "report.privacy_note": "این گزارش هیچ اطلاعات شخصی از خریداران ندارد.",
    # --- one finding ---
    "finding.rank": "ردیف",
    "finding.code": "کد یافته",
    "finding.severity": "شدت",
    "finding.rule": "نوع یافته",
    "finding.status": "وضعیت",
    "finding.seller": "فروشنده",
    "finding.offer": "پیشنهاد فروش",
    "finding.subject": "موضوع",
    "finding.evidence": "شواهد",
    "finding.impact": "اثر مالی",
    "finding.link": "مشاهده در داشبورد",
    "finding.link_short": "داشبورد",
    "finding.no_offer": "—",
    # --- evidence, per rule ---
    "evidence.late_delivery": "وعده: {promised} — تحویل: {delivered} ({hours} ساعت تأخیر)",
    "evidence.late_delivery_minutes": "وعده: {promised} — تحویل: {delivered} ({minutes} دقیقه تأخیر)",
    "evidence.delivered_of_ordered": "مقدار تحویل‌شده: {delivered} از {ordered}",
    "evidence.overdue_order": "موعد تحویل: {promised} — {days} روز از موعد گذشته است",
    "evidence.seller_cancellation": "سفارش به مقدار {quantity} در {cancelled} توسط فروشنده لغو شد",
    "evidence.quality_signals": "نشانه‌ها: {signals}",
    "evidence.quality_grades": "کیفیت وعده‌داده‌شده: {promised} — کیفیت دریافتی: {received}",
    "evidence.buyer_rating": "امتیاز خریدار: {rating} از {max}",
    "evidence.complaint": "علت شکایت: {complaint}",
    "evidence.returned_qty": "مقدار مرجوعی: {quantity}",
    "evidence.unit_price": "قیمت واحد: {price} برای هر {unit}",
    "evidence.peer_median": "میانه قیمت همتایان: {median} — {ratio} برابر میانه",
    "evidence.peer_count": "{count} پیشنهاد هم‌گروه در {scope}؛ شاخص انحراف: {z}",
    "evidence.category": "گروه کالا: {code}",
    "evidence.peer_level": "به‌دلیل کم بودن پیشنهادهای این زیرشاخه، با همتایان هم‌{level} مقایسه شد",
    "evidence.other_scope_median": "میانه قیمت در {scope}: {median}",
    "evidence.previous_price": "قیمت قبلی همین پیشنهاد: {price} — قیمت فعلی {ratio} برابر آن است",
    "evidence.price_history": "{count} قیمت ثبت‌شده برای این پیشنهاد در {days} روز گذشته",
    "evidence.nesieh_price": "قیمت نسیه {months} ماهه: {price} — قیمت نقد: {cash}",
    "evidence.nesieh_markup": "افزایش ماهانه نسیه: {markup} درصد — معمول برای {months} ماه: {norm} درصد",
    "evidence.nesieh_peers": "{count} پیشنهاد نسیه با همین تعداد ماه؛ شاخص انحراف: {z}",
    "evidence.model_score": "امتیاز ناهنجاری مدل: {score} (از یک به بالا غیرعادی است)",
    "evidence.raw": "{key}: {value}",
    # --- report emails (issue 7) ---
    "email.from_name": "رصد امبازار",
    "email.subject.officer": "گزارش روزانه رصد امبازار — استان {province} — {date}",
    "email.subject.rahyari": "یافته‌های رصد امبازار برای {team} — {date}",
    "email.subject.fardap": "گزارش کشوری رصد امبازار — {date}",
    "email.subject.sector_weekly": "گزارش هفتگی رصد امبازار — {team} — هفته منتهی به {date}",
    "email.text.greeting": "با سلام،",
    "email.text.officer": "گزارش روزانه رصد و پایش امبازار برای استان {province}، روز {date}.",
    "email.text.rahyari": "یافته‌های روز {date} درباره واحدهایی که {team} پوشش می‌دهد.",
    "email.text.fardap": "گزارش کشوری رصد و پایش امبازار برای روز {date}: وضعیت ۳۱ استان در یک صفحه.",
    "email.text.sector_weekly": "گزارش هفتگی {team} برای هفته منتهی به {date}.",
    "email.text.counts": "یافته‌های امروز: {total} (جدید: {new}، ادامه‌دار: {ongoing}).",
    "email.text.html_note": "متن کامل گزارش، با جدول‌ها و رنگ‌ها، در نسخه وب همین نامه است.",
    "email.text.xlsx_note": "فهرست همه یافته‌های روز در فایل اکسل پیوست است.",
    "email.text.dashboard": "داشبورد رصد: {url}",
    "email.text.signature": "رصد — پایش کیفیت امبازار (این نامه خودکار است.)",
    # --- the findings workbook (XLSX) ---
    "xlsx.sheet": "یافته‌ها",
    "xlsx.check": "محور بررسی",
    "xlsx.episode_start": "آغاز دوره",
    "xlsx.impact_toman": "اثر مالی (تومان)",
    "xlsx.province": "استان",
    # --- the rahyari's daily findings ---
    "report.rahyari_title": "یافته‌های رصد امبازار برای رهیاری",
    "report.to_rahyari": "گیرنده: {team} — فقط یافته‌های واحدهایی که این رهیاری پوشش می‌دهد یا رونوشت آن را می‌گیرد.",
    # --- the Fardap national digest ---
    "fardap.title": "گزارش کشوری رصد و پایش امبازار",
    "fardap.document_title": "گزارش کشوری رصد — {date}",
    "fardap.to": "گیرنده: {name}، فرداپ مرکزی",
    "fardap.country": "کل کشور",
    "fardap.provinces_heading": "استان‌ها در یک نگاه",
    "fardap.provinces_intro": "تحویل‌ها و یافته‌های روز در هر استان؛ تغییر، نسبت به همین روز در هفته پیش است.",
    "fardap.col.province": "استان",
    "fardap.col.delivered": "تحویل‌های روز",
    "fardap.col.on_time": "به‌موقع",
    "fardap.col.quality": "کیفیت مطابق وعده",
    "fardap.col.price": "قیمت نامتعارف",
    "fardap.col.open": "یافته‌های باز",
    "fardap.col.critical": "بحرانی",
    "fardap.col.change": "تغییر نسبت به هفته پیش",
    "fardap.col.recipient": "گیرنده گزارش استان",
    "fardap.no_officer_heading": "استان‌های بدون عنصر رصد و پایش",
    "fardap.no_officer_row": "{province}: گزارش به {recipient} فرستاده می‌شود.",
    "fardap.no_officer_none": "امروز همه استان‌ها عنصر رصد و پایش دارند.",
    "fardap.escalated_heading": "یافته‌هایی که به فرداپ ارجاع شده‌اند",
    "fardap.escalated_intro": "{count} یافته امروز به‌جای عنصر رصد و پایش به فرداپ رسیده است.",
    "fardap.escalated_more": "{count} یافته دیگر در داشبورد است.",
    "fardap.escalated_none": "امروز یافته‌ای به فرداپ ارجاع نشده است.",
    "fardap.escalated_mark": "ارجاع‌شده",
    # --- the specialized rahyari's weekly digest ---
    "weekly.title": "گزارش هفتگی رهیاری تخصصی",
    "weekly.document_title": "گزارش هفتگی {team} — {date}",
    "weekly.to": "گیرنده: {team}",
    "weekly.scope": "بخش {sector} در استان {province}",
    "weekly.period": "از {start} تا {end}",
    "weekly.rates_heading": "تأخیر و کیفیت",
    "weekly.col.metric": "شاخص",
    "weekly.col.sector": "این بخش",
    "weekly.col.province": "کل استان",
    "weekly.delivered": "تحویل‌ها",
    "weekly.late_rate": "سهم تحویل‌های با تأخیر",
    "weekly.defect_rate": "سهم تحویل‌های با کیفیت خلاف وعده",
    "weekly.prices_heading": "سطح قیمت‌ها",
    "weekly.prices_intro": "میانه قیمت پیشنهادهای فعال این بخش در استان، در کنار میانه کل کشور.",
    "weekly.col.category": "گروه کالا",
    "weekly.col.unit": "واحد",
    "weekly.col.offers": "پیشنهادهای فعال",
    "weekly.col.median_province": "میانه قیمت در استان",
    "weekly.col.median_national": "میانه قیمت در کشور",
    "weekly.col.ratio": "نسبت به کشور",
    "weekly.anomalies_heading": "قیمت‌های نامتعارف",
    "weekly.anomalies_intro": "{count} یافته قیمت نامتعارف در این هفته.",
    "weekly.suppliers_heading": "تأمین‌کنندگانی که باید زیر نظر باشند",
    "weekly.col.supplier": "تأمین‌کننده",
    "weekly.col.findings": "یافته‌ها",
    "weekly.col.late": "تأخیر",
    "weekly.col.defects": "کیفیت",
    "weekly.col.price": "قیمت",
    "weekly.col.impact": "اثر مالی",
    "weekly.none": "موردی در این هفته نیست.",
    "unit.percent": "{value}٪",
    "evidence.scorecard_rate": "در {window} روز گذشته: {rate} درصد (آستانه {threshold} درصد)",
    "evidence.scorecard_volume": "{deliveries} تحویل، {buyers} خریدار متمایز",
    "evidence.impact_reach": "خریداران متأثر: {buyers} — موارد دیگر همین تخلف از این فروشنده در روزهای اخیر: {repeats}",
    # --- punctuation that is part of the wording ---
    "punct.list_separator": "، ",
}

MESSAGES = MappingProxyType(_MESSAGES)


def t(key: str, /, **kwargs: object) -> str:
    """The message `key` formatted with `kwargs`, all digits Persian. Unknown keys raise KeyError."""
    return to_persian_digits(MESSAGES[key].format(**kwargs))


def has(key: str) -> bool:
    """Whether the catalogue holds `key`."""
    return key in MESSAGES


def label(kind: str, key: str) -> str:
    """The name of `key` of `kind` ("rule", "check", "severity", ...), or the raw key if the catalogue
    has none, so that a new rule still shows up in a report rather than breaking it."""
    full = f"{kind}.{key}"
    return t(full) if full in MESSAGES else to_persian_digits(key)
