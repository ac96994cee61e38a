-- Orders as they stood at :as_of (the latest staged version before it), placed since :since.
SELECT order_id, offer_id, buyer_member_id, quantity, unit_price_rial, payment,
       ordered_at, promised_at, updated_at
FROM (
    SELECT o.*,
           ROW_NUMBER() OVER (PARTITION BY o.order_id ORDER BY o.updated_at DESC) AS version_rank
    FROM monitoring.stg_orders o
    WHERE o.updated_at < :as_of
      AND o.ordered_at >= :since
) latest
WHERE version_rank = 1
