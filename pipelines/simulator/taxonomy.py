"""The social-entrepreneurship sector taxonomy: sector → domain → field → branch → sub-branch.

The twelve sectors are those named in the seed (DOMAIN.md). Below them the tree is synthetic but plausible.
Every sub-branch carries the unit it is usually contracted in, a base cash price per unit in rials at the
world's start, and a typical order quantity. Prices differ by orders of magnitude between categories on
purpose (bread by the piece, cement by the ton, a gold coin by the piece).

Codes: `S03`, `S03.D1`, `S03.D1.F1`, `S03.D1.F1.B1`, `S03.D1.F1.B1.SB2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

UNITS = ("piece", "kg", "ton", "litre", "metre", "m2", "m3", "pack", "carton", "set", "pair")
COUNTABLE_UNITS = frozenset({"piece", "pack", "carton", "set", "pair"})

# One line per node; indentation gives the level. Sub-branch lines add: unit | price (rial) | typical qty.
_TREE = """
S | نساجی، دوخت و پوشاک (فرش و گلیم) | Textile, sewing and clothing (carpets, kilims)
 D | فرش و گلیم | Carpets and kilims
  F | فرش دستباف | Hand-woven carpets
   B | فرش پشمی | Wool carpets
    SB | فرش دستباف پشمی | Hand-woven wool carpet | m2 | 120000000 | 6
    SB | گلیم دستباف | Hand-woven kilim | m2 | 25000000 | 6
   B | تابلوفرش | Carpet tableaux
    SB | تابلوفرش دستباف | Hand-woven carpet tableau | piece | 60000000 | 2
 D | پوشاک و منسوجات | Clothing and textiles
  F | پوشاک دوخته | Ready-made garments
   B | پوشاک کار و مدرسه | Work and school wear
    SB | لباس کار | Work overalls | piece | 9000000 | 30
    SB | مانتو و شلوار مدرسه | School uniform | set | 15000000 | 25
  F | پارچه | Fabrics
   B | پارچه بافته | Woven fabrics
    SB | پارچه چادری | Chador fabric | metre | 3500000 | 40
    SB | پارچه پنبه‌ای | Cotton fabric | metre | 1800000 | 60
S | کشاورزی و مواد غذایی | Agriculture and food
 D | لبنیات | Dairy
  F | فرآورده‌های شیر | Milk products
   B | پنیر | Cheese
    SB | پنیر محلی | Local white cheese | kg | 3200000 | 20
    SB | پنیر لیقوان | Lighvan cheese | kg | 4500000 | 15
   B | شیر و ماست | Milk and yoghurt
    SB | شیر پاستوریزه | Pasteurised milk | litre | 600000 | 80
    SB | ماست محلی | Local yoghurt | kg | 900000 | 40
 D | نان و غلات | Bread and grains
  F | نانوایی | Bakery
   B | نان سنتی | Traditional bread
    SB | نان سنگک | Sangak bread | piece | 60000 | 150
    SB | نان بربری | Barbari bread | piece | 50000 | 150
  F | غلات | Grains
   B | برنج | Rice
    SB | برنج ایرانی | Iranian rice | kg | 1500000 | 50
    SB | برنج هاشمی درجه یک | Hashemi rice, first grade | pack | 14000000 | 20
S | دامپروری | Livestock
 D | دام سبک و سنگین | Sheep and cattle
  F | پرواربندی | Fattening
   B | دام زنده | Live animals
    SB | گوسفند زنده | Live sheep | kg | 3500000 | 200
    SB | گوساله پرواری | Fattened calf | kg | 3000000 | 400
 D | طیور و نهاده دامی | Poultry and feed
  F | مرغداری | Poultry farming
   B | مرغ و تخم‌مرغ | Chicken and eggs
    SB | مرغ گوشتی | Broiler chicken | kg | 1200000 | 100
    SB | تخم‌مرغ | Eggs | carton | 28000000 | 10
  F | نهاده دامی | Animal feed
   B | خوراک دام | Fodder
    SB | جو دامی | Feed barley | ton | 220000000 | 5
    SB | یونجه | Alfalfa | ton | 150000000 | 8
S | رفاهی، ورزشی و تفریحی | Welfare, sport and recreation
 D | ورزش | Sport
  F | تجهیزات ورزشی | Sports equipment
   B | پوشاک و کفش ورزشی | Sportswear and shoes
    SB | کفش ورزشی | Sports shoes | pair | 25000000 | 10
    SB | لباس ورزشی | Sports kit | set | 12000000 | 15
 D | گردشگری و تفریح | Tourism and recreation
  F | خدمات گردشگری | Tourism services
   B | اقامت | Accommodation
    SB | اقامتگاه بوم‌گردی | Eco-lodge night | piece | 30000000 | 3
    SB | تور یک‌روزه | Day tour | piece | 8000000 | 10
S | مبلمان، لوازم خانگی و اداری | Furniture, home and office appliances
 D | مبلمان | Furniture
  F | مبلمان چوبی | Wooden furniture
   B | مبل و صندلی | Sofas and chairs
    SB | مبل راحتی | Sofa set | set | 450000000 | 1
    SB | صندلی اداری | Office chair | piece | 35000000 | 8
 D | لوازم خانگی | Home appliances
  F | لوازم آشپزخانه | Kitchenware
   B | ظروف | Dishes
    SB | سرویس ظروف چینی | Porcelain dinner set | set | 60000000 | 3
    SB | ظروف مسی | Copperware | piece | 9000000 | 6
  F | لوازم برقی | Electrical appliances
   B | لوازم برقی خانگی | Household electricals
    SB | بخاری گازی | Gas heater | piece | 90000000 | 3
S | خودرو، ماشین‌آلات و تجهیزات | Automotive, machinery and equipment
 D | قطعات خودرو | Car parts
  F | لاستیک و روغن | Tyres and oil
   B | لاستیک | Tyres
    SB | لاستیک سواری | Passenger car tyre | piece | 40000000 | 4
    SB | روغن موتور | Engine oil | pack | 15000000 | 6
   B | قطعات یدکی | Spare parts
    SB | لنت ترمز | Brake pads | set | 12000000 | 4
 D | ماشین‌آلات | Machinery
  F | ماشین‌آلات کشاورزی | Farm machinery
   B | ادوات کشاورزی | Farm implements
    SB | سمپاش | Sprayer | piece | 70000000 | 2
    SB | قطعات تراکتور | Tractor parts | set | 150000000 | 1
S | فناوری اطلاعات | Information technology
 D | سخت‌افزار | Hardware
  F | رایانه | Computers
   B | رایانه همراه | Laptops
    SB | لپ‌تاپ | Laptop | piece | 600000000 | 2
    SB | ماوس و کیبورد | Mouse and keyboard | set | 8000000 | 10
 D | خدمات نرم‌افزاری | Software services
  F | طراحی و توسعه | Design and development
   B | وب | Web
    SB | طراحی وب‌سایت فروشگاهی | Shop website design | set | 300000000 | 1
    SB | پشتیبانی شبکه | Network support, monthly | piece | 50000000 | 1
S | طلا، جواهر، سنگ‌ها و فلزات قیمتی | Gold, jewellery, precious stones and metals
 D | طلا و جواهر | Gold and jewellery
  F | زیورآلات | Ornaments
   B | طلای ساخته | Made gold
    SB | انگشتر طلا | Gold ring | piece | 300000000 | 1
    SB | سکه بهار آزادی | Bahar Azadi gold coin | piece | 1000000000 | 1
 D | سنگ‌های قیمتی و فلزات | Precious stones and metals
  F | سنگ‌های قیمتی | Precious stones
   B | فیروزه | Turquoise
    SB | فیروزه نیشابور | Neyshabur turquoise | piece | 40000000 | 2
  F | نقره | Silver
   B | نقره‌کاری | Silverwork
    SB | ظروف نقره | Silverware | piece | 120000000 | 1
S | فرهنگ، هنر و رسانه | Culture, art and media
 D | صنایع دستی | Handicrafts
  F | هنرهای سنتی | Traditional arts
   B | سفال و سرامیک | Pottery
    SB | سفال لالجین | Lalejin pottery | piece | 4000000 | 10
    SB | میناکاری | Enamel work | piece | 25000000 | 3
 D | نشر و رسانه | Publishing and media
  F | نشر | Publishing
   B | کتاب | Books
    SB | کتاب کودک | Children's book | piece | 2500000 | 30
    SB | چاپ بروشور | Brochure printing | carton | 20000000 | 3
S | سلامت، بهداشت و آرایشی | Health and cosmetics
 D | بهداشتی | Hygiene
  F | شوینده | Detergents
   B | صابون و شوینده | Soap and detergent
    SB | صابون گیاهی | Herbal soap | pack | 3000000 | 20
    SB | مایع ظرفشویی | Dish liquid | litre | 800000 | 40
 D | گیاهان دارویی و آرایشی | Herbal and cosmetics
  F | گیاهان دارویی | Medicinal herbs
   B | عرقیات و اسانس | Distillates
    SB | گلاب قمصر | Qamsar rose water | litre | 2500000 | 20
    SB | زعفران | Saffron | pack | 35000000 | 5
S | ساختمان و مصالح ساختمانی | Construction and building materials
 D | مصالح پایه | Basic materials
  F | سیمان و بتن | Cement and concrete
   B | سیمان | Cement
    SB | سیمان پرتلند تیپ ۲ | Portland cement type II | ton | 30000000 | 20
    SB | بتن آماده | Ready-mix concrete | m3 | 40000000 | 15
  F | فولاد ساختمانی | Structural steel
   B | میلگرد | Rebar
    SB | میلگرد آجدار | Ribbed rebar | ton | 320000000 | 5
 D | مصالح نازک‌کاری | Finishing materials
  F | کاشی و سرامیک | Tiles and ceramics
   B | کاشی | Tiles
    SB | کاشی دیواری | Wall tile | m2 | 4000000 | 60
    SB | سرامیک کف | Floor ceramic | m2 | 5500000 | 60
S | بیمه | Insurance
 D | بیمه اموال | Property insurance
  F | بیمه خودرو | Motor insurance
   B | بیمه بدنه و ثالث | Hull and third-party
    SB | بیمه شخص ثالث | Third-party motor insurance | piece | 120000000 | 1
    SB | بیمه بدنه خودرو | Motor hull insurance | piece | 150000000 | 1
 D | بیمه اشخاص | Personal insurance
  F | بیمه درمان | Health insurance
   B | بیمه تکمیلی | Supplementary health
    SB | بیمه تکمیلی درمان | Supplementary health insurance | piece | 40000000 | 5
"""

_LEVELS = {"S": "sector", "D": "domain", "F": "field", "B": "branch", "SB": "sub_branch"}


@dataclass(frozen=True)
class Taxonomy:
    nodes: pd.DataFrame  # code, level, parent_code, name_fa, name_en (the ref.taxon rows)
    sub_branches: pd.DataFrame  # code, sector_code, name_fa, name_en, unit, base_price_rial, typical_qty


@cache
def load_taxonomy() -> Taxonomy:
    nodes: list[dict] = []
    subs: list[dict] = []
    stack: list[str] = []  # codes of the current ancestors
    counters: dict[str, int] = {}
    sector_no = 0
    for raw in _TREE.strip("\n").splitlines():
        depth = len(raw) - len(raw.lstrip(" "))
        parts = [p.strip() for p in raw.strip().split("|")]
        tag, name_fa, name_en = parts[0], parts[1], parts[2]
        if tag == "S":
            sector_no += 1
            code = f"S{sector_no:02d}"
            parent = None
        else:
            parent = stack[depth - 1]
            counters[parent] = counters.get(parent, 0) + 1
            code = f"{parent}.{tag}{counters[parent]}"
        del stack[depth:]
        stack.append(code)
        nodes.append(
            {
                "code": code,
                "level": _LEVELS[tag],
                "parent_code": parent,
                "name_fa": name_fa,
                "name_en": name_en,
            }
        )
        if tag == "SB":
            unit, price, qty = parts[3], int(parts[4]), float(parts[5])
            assert unit in UNITS, unit
            subs.append(
                {
                    "code": code,
                    "sector_code": stack[0],
                    "name_fa": name_fa,
                    "name_en": name_en,
                    "unit": unit,
                    "base_price_rial": price,
                    "typical_qty": qty,
                }
            )
    return Taxonomy(nodes=pd.DataFrame(nodes), sub_branches=pd.DataFrame(subs))
