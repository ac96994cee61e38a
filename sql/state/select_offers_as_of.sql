-- Offers as they stood at :as_of: the version whose interval holds :as_of; or, for an offer created before
-- :as_of but first staged later (a backfill over a source that has moved on), its earliest staged version
-- (who sells it is known; its price then is not: the price rules read select_offers_priced_as_of instead).
SELECT f.offer_id, f.seller_id, f.title, f.category_code, f.unit, f.unit_price_rial, f.nesieh_months,
       f.nesieh_unit_price_rial, f.promised_quality, f.promised_lead_days, f.stock_qty, f.status,
       f.created_at, f.updated_at
FROM monitoring.stg_offers f
WHERE f.updated_at < :as_of AND (f.valid_to IS NULL OR f.valid_to >= :as_of)
UNION ALL
SELECT f.offer_id, f.seller_id, f.title, f.category_code, f.unit, f.unit_price_rial, f.nesieh_months,
       f.nesieh_unit_price_rial, f.promised_quality, f.promised_lead_days, f.stock_qty, f.status,
       f.created_at, f.updated_at
FROM monitoring.stg_offers f
WHERE f.updated_at >= :as_of AND f.created_at < :as_of
  AND NOT EXISTS (SELECT 1 FROM monitoring.stg_offers e WHERE e.offer_id = f.offer_id AND e.updated_at < f.updated_at)
