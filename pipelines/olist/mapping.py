"""The fixed tables of the Olist conversion: states onto provinces, categories into the taxonomy.

**States onto provinces.** Olist's sellers and buyers live in the 27 federative units of Brazil; Rasad's
reference data is Iran's 31 provinces. The mapping pairs them by population rank: the n-th most populous
Brazilian state (IBGE estimate, 2018) becomes the n-th most populous Iranian province (census, 1395/2016).
So São Paulo, a third of Olist's sellers, becomes Tehran, and the four least populous provinces (South
Khorasan, Kohgiluyeh and Boyer-Ahmad, Semnan, Ilam) have an officer and no sellers. Province ids are those of
`pipelines/reference/data/iran_divisions/ostan.csv`.

**Categories into the taxonomy.** Each of Olist's 73 product categories (71 in the translation file, plus the
two it lacks) becomes a sub-branch under one of the seed's twelve sectors, with a Persian name. Products with
no category go to one sub-branch of their own (`UNCATEGORISED`).
"""

from __future__ import annotations

# state -> (province_id, state capital as Olist spells its cities: lower case, no accents)
STATE_TO_PROVINCE: dict[str, tuple[str, str]] = {
    "SP": ("8", "sao paulo"),        # 1 -> Tehran
    "MG": ("11", "belo horizonte"),  # 2 -> Razavi Khorasan
    "RJ": ("4", "rio de janeiro"),   # 3 -> Isfahan
    "BA": ("17", "salvador"),        # 4 -> Fars
    "PR": ("13", "curitiba"),        # 5 -> Khuzestan
    "RS": ("1", "porto alegre"),     # 6 -> East Azerbaijan
    "PE": ("27", "recife"),          # 7 -> Mazandaran
    "CE": ("2", "fortaleza"),        # 8 -> West Azerbaijan
    "PA": ("21", "belem"),           # 9 -> Kerman
    "SC": ("16", "florianopolis"),   # 10 -> Sistan and Baluchestan
    "MA": ("5", "sao luis"),         # 11 -> Alborz
    "GO": ("25", "goiania"),         # 12 -> Gilan
    "AM": ("22", "manaus"),          # 13 -> Kermanshah
    "PB": ("24", "joao pessoa"),     # 14 -> Golestan
    "ES": ("29", "vitoria"),         # 15 -> Hormozgan
    "RN": ("26", "natal"),           # 16 -> Lorestan
    "MT": ("30", "cuiaba"),          # 17 -> Hamadan
    "AL": ("20", "maceio"),          # 18 -> Kurdistan
    "PI": ("28", "teresina"),        # 19 -> Markazi
    "DF": ("19", "brasilia"),        # 20 -> Qom
    "MS": ("18", "campo grande"),    # 21 -> Qazvin
    "SE": ("3", "aracaju"),          # 22 -> Ardabil
    "RO": ("7", "porto velho"),      # 23 -> Bushehr
    "TO": ("31", "palmas"),          # 24 -> Yazd
    "AC": ("14", "rio branco"),      # 25 -> Zanjan
    "AP": ("9", "macapa"),           # 26 -> Chaharmahal and Bakhtiari
    "RR": ("12", "boa vista"),       # 27 -> North Khorasan
}

UNCATEGORISED = "_uncategorised"

# category -> (sector code of the seed's taxonomy, Persian name)
CATEGORIES: dict[str, tuple[str, str]] = {
    "agro_industria_e_comercio": ("S02", "صنایع و بازرگانی کشاورزی"),
    "alimentos": ("S02", "مواد غذایی"),
    "alimentos_bebidas": ("S02", "خوراکی و نوشیدنی"),
    "bebidas": ("S02", "نوشیدنی"),
    "la_cuisine": ("S02", "آشپزی و خوراک"),
    "flores": ("S02", "گل و گیاه"),
    "pet_shop": ("S03", "لوازم حیوانات خانگی"),
    "fashion_bolsas_e_acessorios": ("S01", "کیف و لوازم جانبی پوشاک"),
    "fashion_calcados": ("S01", "کفش"),
    "fashion_roupa_masculina": ("S01", "پوشاک مردانه"),
    "fashion_roupa_feminina": ("S01", "پوشاک زنانه"),
    "fashion_roupa_infanto_juvenil": ("S01", "پوشاک کودک و نوجوان"),
    "fashion_underwear_e_moda_praia": ("S01", "لباس زیر و ساحلی"),
    "fashion_esporte": ("S01", "پوشاک ورزشی"),
    "cama_mesa_banho": ("S01", "منسوجات خواب و حمام"),
    "malas_acessorios": ("S01", "چمدان و لوازم سفر"),
    "esporte_lazer": ("S04", "ورزش و سرگرمی"),
    "brinquedos": ("S04", "اسباب‌بازی"),
    "bebes": ("S04", "لوازم نوزاد"),
    "artigos_de_festas": ("S04", "لوازم جشن"),
    "artigos_de_natal": ("S04", "لوازم کریسمس"),
    "cool_stuff": ("S04", "کالاهای سرگرمی"),
    "consoles_games": ("S04", "کنسول و بازی"),
    "moveis_decoracao": ("S05", "مبلمان و دکوراسیون"),
    "moveis_escritorio": ("S05", "مبلمان اداری"),
    "moveis_sala": ("S05", "مبلمان پذیرایی"),
    "moveis_quarto": ("S05", "مبلمان اتاق خواب"),
    "moveis_colchao_e_estofado": ("S05", "تشک و مبل راحتی"),
    "moveis_cozinha_area_de_servico_jantar_e_jardim": ("S05", "مبلمان آشپزخانه، ناهارخوری و باغ"),
    "utilidades_domesticas": ("S05", "لوازم منزل"),
    "casa_conforto": ("S05", "آسایش خانه"),
    "casa_conforto_2": ("S05", "آسایش خانه ۲"),
    "eletrodomesticos": ("S05", "لوازم خانگی برقی"),
    "eletrodomesticos_2": ("S05", "لوازم خانگی برقی ۲"),
    "eletroportateis": ("S05", "لوازم برقی کوچک"),
    "portateis_casa_forno_e_cafe": ("S05", "فر و قهوه‌ساز خانگی"),
    "portateis_cozinha_e_preparadores_de_alimentos": ("S05", "لوازم برقی آشپزخانه"),
    "climatizacao": ("S05", "سرمایش و گرمایش"),
    "relogios_presentes": ("S08", "ساعت و هدیه"),
    "automotivo": ("S06", "لوازم خودرو"),
    "ferramentas_jardim": ("S06", "ابزار باغبانی"),
    "construcao_ferramentas_jardim": ("S06", "ابزار ساختمانی و باغبانی"),
    "construcao_ferramentas_ferramentas": ("S06", "ابزارآلات"),
    "industria_comercio_e_negocios": ("S06", "صنعت و بازرگانی"),
    "sinalizacao_e_seguranca": ("S06", "علائم و تجهیزات ایمنی"),
    "informatica_acessorios": ("S07", "لوازم جانبی رایانه"),
    "pcs": ("S07", "رایانه"),
    "pc_gamer": ("S07", "رایانهٔ بازی"),
    "tablets_impressao_imagem": ("S07", "تبلت و چاپ"),
    "telefonia": ("S07", "تلفن همراه"),
    "telefonia_fixa": ("S07", "تلفن ثابت"),
    "eletronicos": ("S07", "الکترونیک"),
    "audio": ("S07", "صوتی"),
    "livros_tecnicos": ("S09", "کتاب فنی"),
    "livros_interesse_geral": ("S09", "کتاب عمومی"),
    "livros_importados": ("S09", "کتاب خارجی"),
    "papelaria": ("S09", "لوازم‌التحریر"),
    "artes": ("S09", "هنر"),
    "artes_e_artesanato": ("S09", "هنر و صنایع دستی"),
    "instrumentos_musicais": ("S09", "ساز"),
    "musica": ("S09", "موسیقی"),
    "cds_dvds_musicais": ("S09", "لوح فشردهٔ موسیقی"),
    "dvds_blu_ray": ("S09", "دی‌وی‌دی و بلوری"),
    "cine_foto": ("S09", "فیلم و عکس"),
    "beleza_saude": ("S10", "زیبایی و سلامت"),
    "perfumaria": ("S10", "عطر"),
    "fraldas_higiene": ("S10", "پوشک و بهداشت"),
    "construcao_ferramentas_construcao": ("S11", "ابزار ساختمانی"),
    "casa_construcao": ("S11", "ساخت خانه"),
    "construcao_ferramentas_iluminacao": ("S11", "روشنایی ساختمان"),
    "construcao_ferramentas_seguranca": ("S11", "ایمنی ساختمان"),
    "seguros_e_servicos": ("S12", "بیمه و خدمات"),
    "market_place": ("S05", "بازارچه"),
    UNCATEGORISED: ("S05", "بدون دسته در منبع"),
}

# the two categories of the products file that the translation file lacks, named here
MISSING_TRANSLATIONS = {
    "pc_gamer": "pc_gamer",
    "portateis_cozinha_e_preparadores_de_alimentos": "kitchen_portables_and_food_preparers",
}
