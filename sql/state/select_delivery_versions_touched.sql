-- Every staged version, up to :as_of, of the deliveries that have a version in [:window_start, :as_of).
-- Event rules look for the version on which a condition first became true.
SELECT d.delivery_id, d.order_id, d.status, d.shipped_at, d.delivered_at, d.delivered_qty,
       d.received_quality, d.buyer_rating, d.complaint, d.returned_qty, d.updated_at
FROM monitoring.stg_deliveries d
WHERE d.updated_at < :as_of
  AND d.delivery_id IN (
        SELECT t.delivery_id FROM monitoring.stg_deliveries t
        WHERE t.updated_at >= :window_start AND t.updated_at < :as_of
  )
