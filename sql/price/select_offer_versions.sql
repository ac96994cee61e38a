-- Every staged version of the offers seen in [:since, :as_of), and the version each offer had when the window
-- opened (the one whose interval holds :since): the offers' own price history. An offer whose price did not
-- change for longer than the window still has its price to be compared with.
SELECT f.offer_id, f.seller_id, f.title, f.category_code, f.unit, f.unit_price_rial, f.nesieh_months,
       f.nesieh_unit_price_rial, f.promised_quality, f.promised_lead_days, f.stock_qty, f.status,
       f.created_at, f.updated_at
FROM monitoring.stg_offers f
WHERE f.updated_at >= :since AND f.updated_at < :as_of
UNION ALL
SELECT f.offer_id, f.seller_id, f.title, f.category_code, f.unit, f.unit_price_rial, f.nesieh_months,
       f.nesieh_unit_price_rial, f.promised_quality, f.promised_lead_days, f.stock_qty, f.status,
       f.created_at, f.updated_at
FROM monitoring.stg_offers f
WHERE f.updated_at < :since AND (f.valid_to IS NULL OR f.valid_to >= :since)
