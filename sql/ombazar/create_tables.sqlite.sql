-- The Ombazar source contract v1 as SQLite DDL. The file is attached by readers as `ombazar`.
-- Timestamps are ISO-8601 text with an offset; loose typing is deliberate: the source is
-- someone else's system, and Rasad must cope with whatever it holds.
CREATE TABLE IF NOT EXISTS sellers (
    seller_id    TEXT PRIMARY KEY,
    unit_id      TEXT,
    display_name TEXT,
    joined_at    TEXT,
    updated_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS offers (
    offer_id               TEXT PRIMARY KEY,
    seller_id              TEXT NOT NULL,
    title                  TEXT,
    category_code          TEXT,
    unit                   TEXT,
    unit_price_rial        INTEGER,
    nesieh_months          INTEGER,
    nesieh_unit_price_rial INTEGER,
    promised_quality       TEXT,
    promised_lead_days     INTEGER,
    stock_qty              REAL,
    status                 TEXT,
    created_at             TEXT,
    updated_at             TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS orders (
    order_id        TEXT PRIMARY KEY,
    offer_id        TEXT NOT NULL,
    buyer_member_id TEXT,
    quantity        REAL,
    unit_price_rial INTEGER,
    payment         TEXT,
    ordered_at      TEXT,
    promised_at     TEXT,
    updated_at      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id      TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL,
    status           TEXT,
    shipped_at       TEXT,
    delivered_at     TEXT,
    delivered_qty    REAL,
    received_quality TEXT,
    buyer_rating     INTEGER,
    complaint        TEXT,
    returned_qty     REAL,
    updated_at       TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sellers_updated ON sellers (updated_at, seller_id);
CREATE INDEX IF NOT EXISTS ix_offers_updated ON offers (updated_at, offer_id);
CREATE INDEX IF NOT EXISTS ix_orders_updated ON orders (updated_at, order_id);
CREATE INDEX IF NOT EXISTS ix_deliveries_updated ON deliveries (updated_at, delivery_id);
