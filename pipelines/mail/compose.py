"""Compose the report emails: a Persian subject with the Jalali date, a plain-text part, the RTL HTML report
as the main part, and attachments. Headers are encoded by the `email` package (RFC 2047 / 2231).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from io import BytesIO
from typing import cast

import jdatetime

from pipelines.i18n.messages import t
from pipelines.i18n.persian import to_latin_digits
from pipelines.settings import Settings

_DIGIT_RUN = re.compile(r"[0-9]{7,}")
_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+")
_SCREENED_HEADERS = ("Subject", "From", "To", "Cc", "Reply-To", "Content-Disposition")


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message."""

    data: bytes
    maintype: str
    subtype: str
    filename: str


def _address(name: str | None, email: str) -> Address:
    local, _, domain = email.strip().partition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def jalali_compact(day: date) -> str:
    """A Jalali date as ASCII digits for file names: 14050905."""
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}{j.month:02d}{j.day:02d}"


def build_message(
    *,
    settings: Settings,
    kind: str,
    day: date,
    subject: str,
    to: Sequence[tuple[str | None, str]],
    cc: Sequence[tuple[str | None, str]] = (),
    text: str,
    html: str,
    attachments: Iterable[Attachment] = (),
) -> tuple[EmailMessage, list[str]]:
    """A MIME message: multipart/alternative (text, RTL HTML) inside multipart/mixed with the attachments;
    and the texts a person can read in it, for the personal-data screen."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = _address(t("email.from_name"), settings.mail_from)
    msg["To"] = [_address(n, e) for n, e in to]
    if cc:
        msg["Cc"] = [_address(n, e) for n, e in cc]
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a report
    msg["X-Rasad-Kind"] = kind
    msg["X-Rasad-Day"] = day.isoformat()
    # base64 (not quoted-printable): Persian UTF-8 is a third the size, and the choice is not computed twice
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    attachments = list(attachments)
    for a in attachments:
        msg.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    msg["Content-Language"] = "fa"  # after the content: set_content clears every Content-* header
    texts = [subject, *(f"{n} {e}" for n, e in (*to, *cc)), text, _DATA_URI.sub("", html)]
    texts.extend(chunk for a in attachments for chunk in _attachment_texts(a.data))
    return msg, texts


def plain_text(*lines: str) -> str:
    """The plain-text part: the lines, a blank line between paragraphs, and the signature."""
    return "\n\n".join([t("email.text.greeting"), *[line for line in lines if line], t("email.text.signature")]) + "\n"


# ---------------------------------------------------------------- personal data screen


def _attachment_texts(payload: bytes) -> list[str]:
    if zipfile.is_zipfile(BytesIO(payload)):  # XLSX: the sheet's XML
        with zipfile.ZipFile(BytesIO(payload)) as z:
            return [z.read(n).decode("utf-8", errors="replace") for n in z.namelist()
                    if n.endswith((".xml", ".rels"))]
    return [payload.decode("latin-1")]


def message_texts(raw: bytes) -> list[str]:
    """Every text a person can read in a message: its address and subject headers, text parts (without the
    inlined font data), attachment names, and the XML inside XLSX attachments. Boundaries and Message-IDs are
    random digits, not content, and are left out."""
    msg = message_from_bytes(raw, policy=policy.default)
    texts = [f"{k}: {v}" for k, v in msg.items() if k in _SCREENED_HEADERS]
    for part in msg.walk():
        if part.is_multipart():
            continue
        texts.extend(f"{k}: {v}" for k, v in part.items() if k in _SCREENED_HEADERS)
        payload = cast(bytes, part.get_payload(decode=True) or b"")  # a leaf part decodes to bytes
        if part.get_content_maintype() == "text":
            text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
            texts.append(_DATA_URI.sub("", text))
        else:
            texts.extend(_attachment_texts(payload))
    return texts


def personal_data_found(texts: Iterable[str], personal: set[str]) -> set[str]:
    """Which of the `personal` values (national ids, mobile numbers; ASCII digits) appear in the texts,
    written in Latin, Persian or Arabic digits."""
    if not personal:
        return set()
    lengths = {len(p) for p in personal}
    found: set[str] = set()
    for text in texts:
        for run in _DIGIT_RUN.findall(to_latin_digits(text)):
            for n in lengths:
                found.update(run[i:i + n] for i in range(len(run) - n + 1) if run[i:i + n] in personal)
    return found
