-- The delivery versions the extraction of :day staged (changed = 1), and the version each of those deliveries
-- had before them (changed = 0): what event rules compare, one version against the one before.
SELECT d.delivery_id, d.order_id, d.status, d.shipped_at, d.delivered_at, d.delivered_qty,
       d.received_quality, d.buyer_rating, d.complaint, d.returned_qty, d.updated_at, 1 AS changed
FROM monitoring.stg_deliveries d
WHERE d.staged_day = :day
UNION ALL
SELECT p.delivery_id, p.order_id, p.status, p.shipped_at, p.delivered_at, p.delivered_qty,
       p.received_quality, p.buyer_rating, p.complaint, p.returned_qty, p.updated_at, 0 AS changed
FROM monitoring.stg_deliveries p
JOIN (
    SELECT c.delivery_id, MIN(c.updated_at) AS first_at
    FROM monitoring.stg_deliveries c
    WHERE c.staged_day = :day
    GROUP BY c.delivery_id
) c ON c.delivery_id = p.delivery_id AND p.valid_to = c.first_at
