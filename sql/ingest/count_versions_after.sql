-- Offers and deliveries whose earliest staged version is later than :as_of, though the entity existed by then
-- (created, or its order placed, before :as_of): what a backfill over a moved-on source cannot see for a day.
SELECT 'offers' AS entity, COUNT(*) AS versions
FROM monitoring.stg_offers f
WHERE f.created_at < :as_of AND f.updated_at >= :as_of
  AND NOT EXISTS (SELECT 1 FROM monitoring.stg_offers e WHERE e.offer_id = f.offer_id AND e.updated_at < :as_of)
UNION ALL
SELECT 'deliveries' AS entity, COUNT(*) AS versions
FROM monitoring.stg_deliveries d
JOIN monitoring.stg_orders o ON o.order_id = d.order_id AND o.valid_to IS NULL
WHERE o.ordered_at < :as_of AND d.valid_to IS NULL AND d.updated_at >= :as_of
  AND NOT EXISTS (SELECT 1 FROM monitoring.stg_deliveries e WHERE e.delivery_id = d.delivery_id
                  AND e.updated_at < :as_of)
