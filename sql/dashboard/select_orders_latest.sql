-- Orders as last staged: those named (:order_ids), newest first.
SELECT o.order_id, o.offer_id, o.quantity, o.unit_price_rial, o.payment, o.ordered_at, o.promised_at, o.updated_at
FROM (
    SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.order_id ORDER BY x.updated_at DESC) AS version_rank
    FROM monitoring.stg_orders x
    WHERE x.order_id IN :order_ids
) o
WHERE o.version_rank = 1
ORDER BY o.ordered_at DESC
