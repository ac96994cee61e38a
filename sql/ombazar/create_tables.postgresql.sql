-- The Ombazar source contract v1 (../docs/contract.md), as PostgreSQL DDL in schema `ombazar`.
-- Rasad never writes here; this DDL is for the simulator and for tests that stand up a source.
CREATE SCHEMA IF NOT EXISTS ombazar;

CREATE TABLE IF NOT EXISTS ombazar.sellers (
    seller_id    text PRIMARY KEY,
    unit_id      text,
    display_name text,
    joined_at    timestamptz,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ombazar.offers (
    offer_id               text PRIMARY KEY,
    seller_id              text NOT NULL,
    title                  text,
    category_code          text,
    unit                   text,
    unit_price_rial        bigint,
    nesieh_months          integer,
    nesieh_unit_price_rial bigint,
    promised_quality       text,
    promised_lead_days     integer,
    stock_qty              double precision,
    status                 text,
    created_at             timestamptz,
    updated_at             timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ombazar.orders (
    order_id        text PRIMARY KEY,
    offer_id        text NOT NULL,
    buyer_member_id text,
    quantity        double precision,
    unit_price_rial bigint,
    payment         text,
    ordered_at      timestamptz,
    promised_at     timestamptz,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ombazar.deliveries (
    delivery_id      text PRIMARY KEY,
    order_id         text NOT NULL,
    status           text,
    shipped_at       timestamptz,
    delivered_at     timestamptz,
    delivered_qty    double precision,
    received_quality text,
    buyer_rating     integer,
    complaint        text,
    returned_qty     double precision,
    updated_at       timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sellers_updated ON ombazar.sellers (updated_at, seller_id);
CREATE INDEX IF NOT EXISTS ix_offers_updated ON ombazar.offers (updated_at, offer_id);
CREATE INDEX IF NOT EXISTS ix_orders_updated ON ombazar.orders (updated_at, order_id);
CREATE INDEX IF NOT EXISTS ix_deliveries_updated ON ombazar.deliveries (updated_at, delivery_id);
