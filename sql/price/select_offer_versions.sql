-- Every staged version of the offers seen in [:since, :as_of): the offers' own price history.
SELECT f.offer_id, f.seller_id, f.title, f.category_code, f.unit, f.unit_price_rial, f.nesieh_months,
       f.nesieh_unit_price_rial, f.promised_quality, f.promised_lead_days, f.stock_qty, f.status,
       f.created_at, f.updated_at
FROM monitoring.stg_offers f
WHERE f.updated_at >= :since AND f.updated_at < :as_of
