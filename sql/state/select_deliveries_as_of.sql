-- Deliveries as they stood at :as_of, for orders placed since :since.
SELECT delivery_id, order_id, status, shipped_at, delivered_at, delivered_qty,
       received_quality, buyer_rating, complaint, returned_qty, updated_at
FROM (
    SELECT d.*,
           ROW_NUMBER() OVER (PARTITION BY d.delivery_id ORDER BY d.updated_at DESC) AS version_rank
    FROM monitoring.stg_deliveries d
    WHERE d.updated_at < :as_of
      AND d.order_id IN (SELECT o.order_id FROM monitoring.stg_orders o WHERE o.ordered_at >= :since)
) latest
WHERE version_rank = 1
