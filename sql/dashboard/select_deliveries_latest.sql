-- Deliveries of the named orders (:order_ids) as last staged. No buyer data: the contract has none here.
SELECT d.delivery_id, d.order_id, d.status, d.shipped_at, d.delivered_at, d.delivered_qty, d.received_quality,
       d.buyer_rating, d.complaint, d.returned_qty, d.updated_at
FROM (
    SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.delivery_id ORDER BY x.updated_at DESC) AS version_rank
    FROM monitoring.stg_deliveries x
    WHERE x.order_id IN :order_ids
) d
WHERE d.version_rank = 1
ORDER BY d.order_id, d.delivery_id
