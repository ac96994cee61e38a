"""Synthetic Persian names and identifiers for people and shops."""

from __future__ import annotations

import numpy as np

from pipelines.i18n.persian import DIGITS_TO_PERSIAN

FIRST_NAMES = (
    "علی",
    "محمد",
    "حسین",
    "رضا",
    "مهدی",
    "امیر",
    "حسن",
    "مصطفی",
    "سعید",
    "مجید",
    "احمد",
    "جواد",
    "محسن",
    "حمید",
    "کاظم",
    "ابوالفضل",
    "یوسف",
    "داوود",
    "بهروز",
    "فرهاد",
    "زهرا",
    "فاطمه",
    "مریم",
    "معصومه",
    "زینب",
    "سمیه",
    "نرگس",
    "لیلا",
    "الهام",
    "مهسا",
    "سارا",
    "طاهره",
    "رقیه",
    "ناهید",
    "شیرین",
    "پروین",
    "منیژه",
    "کبری",
    "آزاده",
    "هانیه",
)
LAST_NAMES = (
    "محمدی",
    "حسینی",
    "احمدی",
    "رضایی",
    "موسوی",
    "کریمی",
    "جعفری",
    "رحیمی",
    "صادقی",
    "هاشمی",
    "قاسمی",
    "نوری",
    "کاظمی",
    "عباسی",
    "اکبری",
    "یوسفی",
    "مرادی",
    "شریفی",
    "طاهری",
    "نجفی",
    "ابراهیمی",
    "سلیمانی",
    "زارعی",
    "حیدری",
    "بهرامی",
    "قربانی",
    "فرهادی",
    "تهرانی",
    "اصفهانی",
    "شیرازی",
    "تبریزی",
    "کرمانی",
    "یزدی",
    "رشتی",
    "خراسانی",
    "بختیاری",
    "لرستانی",
    "گیلانی",
    "میرزایی",
    "پورمحمدی",
)
SHOP_WORDS = (
    "برکت",
    "نیکان",
    "سپید",
    "آفتاب",
    "مهر",
    "آرین",
    "پارس",
    "سبلان",
    "البرز",
    "زاگرس",
    "کوثر",
    "یاس",
    "امید",
    "سحر",
    "ایمان",
    "بهار",
    "شایان",
    "نگین",
    "دنا",
    "تابان",
)



def to_persian_digits(value: object) -> str:
    return str(value).translate(DIGITS_TO_PERSIAN)


def full_names(rng: np.random.Generator, n: int) -> np.ndarray:
    first = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
    return first + " " + last


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.array(["0912", "0913", "0915", "0917", "0919", "0935", "0936", "0938", "0901", "0990"])
    pre = prefix[rng.integers(0, len(prefix), n)]
    rest = rng.integers(0, 10_000_000, n)
    return np.array([f"{p}{r:07d}" for p, r in zip(pre, rest, strict=True)], dtype=object)


def national_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Ten-digit Iranian national ids with a valid check digit (synthetic)."""
    digits = rng.integers(0, 10, (n, 9))
    digits[:, 0] = rng.integers(0, 7, n)  # city codes start low; also avoids all-equal digits
    weights = np.arange(10, 1, -1)
    s = (digits * weights).sum(axis=1) % 11
    check = np.where(s < 2, s, 11 - s)
    full = np.concatenate([digits, check[:, None]], axis=1)
    return np.array(["".join(map(str, row)) for row in full], dtype=object)
