-- Orders as they stood at :as_of, placed since :since: the latest staged version before :as_of, or,
-- for an order placed before :as_of but first staged later (a backfill), its earliest staged version.
SELECT order_id, offer_id, buyer_member_id, quantity, unit_price_rial, payment,
       ordered_at, promised_at, updated_at
FROM (
    SELECT o.*,
           ROW_NUMBER() OVER (
               PARTITION BY o.order_id
               ORDER BY CASE WHEN o.updated_at < :as_of THEN 0 ELSE 1 END,
                        CASE WHEN o.updated_at < :as_of THEN o.updated_at END DESC,
                        o.updated_at ASC
           ) AS version_rank
    FROM monitoring.stg_orders o
    WHERE o.ordered_at >= :since
      AND (o.updated_at < :as_of OR o.ordered_at < :as_of)
) latest
WHERE version_rank = 1
