"""Compose the report emails: a Persian subject with the Jalali date, a plain-text part, the RTL HTML report
as the main part, and attachments. Headers are encoded by the `email` package (RFC 2047 / 2231).
"""

from __future__ import annotations

import re
import unicodedata
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
from pipelines.settings import Settings

# A number as people type it: digits of any script (`\d` is every Unicode decimal digit: Latin, Persian ۰-۹,
# Arabic-Indic ٠-٩, ...) with up to three separators between two digits: spaces (also no-break and thin), dashes
# of every kind, dots, commas, slashes, parentheses, brackets, plus signs, underscores, and the invisible
# direction and joiner marks Persian text carries. `0990 829 2581`, `۰۹۹۰-۸۲۹-۲۵۸۱` and `+98 (990) 829.2581`
# all read as one run of digits.
_SEPARATOR = (r"[\s\-\u00ad\u2010-\u2015\u2212\ufe58\ufe63\uff0d.\u066b\u066c\u060c,/\\_()\[\]{}+*#'\"|:"
              r"\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_DIGIT_GROUP = re.compile(rf"\d(?:{_SEPARATOR}{{0,3}}\d)+")
_MIN_RUN = 7
_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SCREENED_HEADERS = ("Subject", "From", "To", "Cc", "Reply-To", "Content-Disposition")


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message."""

    data: bytes
    maintype: str
    subtype: str
    filename: str


def header_text(value: str | None) -> str:
    """Text fit for a header: control characters (CR, LF, NUL...) become spaces, runs of spaces one space.

    A CR in an officer's name must neither break the message (the `email` package refuses it) nor inject a
    header; the name is still shown."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


class UnusableAddressError(ValueError):
    """An email address a message cannot be sent to (empty, control characters, no domain)."""


def _address(name: str | None, email: str) -> Address:
    address = (email or "").strip()
    local, at, domain = address.partition("@")
    if not at or not local or not domain or _CONTROL.search(address) or any(c.isspace() for c in address):
        raise UnusableAddressError(f"unusable email address {address!r}")
    return Address(display_name=header_text(name), username=local, domain=domain)


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
    msg["Subject"] = header_text(subject)
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


def digit_runs(text: str) -> list[str]:
    """The runs of digits in `text` as a person reads them: separators dropped, every digit script as 0-9."""
    runs = []
    for group in _DIGIT_GROUP.findall(text):
        digits = "".join(str(unicodedata.decimal(c)) for c in group if c.isdecimal())
        if len(digits) >= _MIN_RUN:
            runs.append(digits)
    return runs


def personal_data_found(texts: Iterable[str], personal: set[str]) -> set[str]:
    """Which of the `personal` values (national ids, mobile numbers; ASCII digits) appear in the texts,
    in any digit script and however they are spaced or punctuated (`digit_runs`)."""
    if not personal:
        return set()
    lengths = {len(p) for p in personal}
    found: set[str] = set()
    for text in texts:
        for run in digit_runs(text):
            for n in lengths:
                found.update(run[i:i + n] for i in range(len(run) - n + 1) if run[i:i + n] in personal)
    return found
