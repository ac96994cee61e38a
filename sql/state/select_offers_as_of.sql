-- Offers as they stood at :as_of: the latest staged version before it, or, for an offer created before
-- :as_of but first staged later (a backfill), its earliest staged version (its price then is not known:
-- see docs/backfill.md).
SELECT offer_id, seller_id, title, category_code, unit, unit_price_rial, nesieh_months,
       nesieh_unit_price_rial, promised_quality, promised_lead_days, stock_qty, status,
       created_at, updated_at
FROM (
    SELECT f.*,
           ROW_NUMBER() OVER (
               PARTITION BY f.offer_id
               ORDER BY CASE WHEN f.updated_at < :as_of THEN 0 ELSE 1 END,
                        CASE WHEN f.updated_at < :as_of THEN f.updated_at END DESC,
                        f.updated_at ASC
           ) AS version_rank
    FROM monitoring.stg_offers f
    WHERE f.updated_at < :as_of OR f.created_at < :as_of
) latest
WHERE version_rank = 1
