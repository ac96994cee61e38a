-- Offers as they stood at :as_of (the latest staged version before it).
SELECT offer_id, seller_id, title, category_code, unit, unit_price_rial, nesieh_months,
       nesieh_unit_price_rial, promised_quality, promised_lead_days, stock_qty, status,
       created_at, updated_at
FROM (
    SELECT f.*,
           ROW_NUMBER() OVER (PARTITION BY f.offer_id ORDER BY f.updated_at DESC) AS version_rank
    FROM monitoring.stg_offers f
    WHERE f.updated_at < :as_of
) latest
WHERE version_rank = 1
