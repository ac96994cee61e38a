-- The newest :limit orders of an offer (the evidence of an offer's finding).
SELECT o.order_id, MAX(o.ordered_at) AS ordered_at
FROM monitoring.stg_orders o
WHERE o.offer_id = :offer_id
GROUP BY o.order_id
ORDER BY MAX(o.ordered_at) DESC
LIMIT :limit
