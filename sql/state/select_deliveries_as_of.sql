-- Deliveries as they stood at :as_of, for orders placed since :since.
-- The latest staged version before :as_of; or, for a delivery first staged later (a backfill over a
-- source that has moved on), its earliest staged version as of :as_of by the events' own timestamps:
-- a shipment or delivery after :as_of had not happened yet. What has no timestamp of its own (the
-- grade found, the rating, a complaint, a return, a cancellation) cannot be dated, so it is left out:
-- see docs/backfill.md.
WITH latest AS (
    SELECT d.*,
           ROW_NUMBER() OVER (PARTITION BY d.delivery_id ORDER BY d.updated_at DESC) AS version_rank
    FROM monitoring.stg_deliveries d
    WHERE d.updated_at < :as_of
      AND d.order_id IN (SELECT o.order_id FROM monitoring.stg_orders o WHERE o.ordered_at >= :since)
),
first_later AS (
    SELECT d.*,
           ROW_NUMBER() OVER (PARTITION BY d.delivery_id ORDER BY d.updated_at ASC) AS version_rank
    FROM monitoring.stg_deliveries d
    WHERE d.updated_at >= :as_of
      AND d.order_id IN (
            SELECT o.order_id FROM monitoring.stg_orders o WHERE o.ordered_at >= :since AND o.ordered_at < :as_of
      )
      AND NOT EXISTS (
            SELECT 1 FROM monitoring.stg_deliveries e WHERE e.delivery_id = d.delivery_id AND e.updated_at < :as_of
      )
)
SELECT delivery_id, order_id, status, shipped_at, delivered_at, delivered_qty,
       received_quality, buyer_rating, complaint, returned_qty, updated_at
FROM latest
WHERE version_rank = 1
UNION ALL
SELECT delivery_id, order_id,
       CASE WHEN delivered_at < :as_of THEN 'delivered'
            WHEN shipped_at < :as_of THEN 'shipped'
            ELSE 'pending' END AS status,
       CASE WHEN shipped_at < :as_of THEN shipped_at END AS shipped_at,
       CASE WHEN delivered_at < :as_of THEN delivered_at END AS delivered_at,
       CASE WHEN delivered_at < :as_of THEN delivered_qty END AS delivered_qty,
       NULL AS received_quality, NULL AS buyer_rating, NULL AS complaint, NULL AS returned_qty,
       updated_at
FROM first_later
WHERE version_rank = 1
