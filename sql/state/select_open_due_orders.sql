-- Orders open at :as_of (not closed, by the events' own times) whose promise plus grace had passed by then,
-- placed since :since. Through the (closed_at, due_at) index: the open items, not the history.
SELECT f.* FROM monitoring.order_fulfilment f
WHERE f.closed_at IS NULL AND f.due_at < :as_of AND f.ordered_at >= :since
UNION ALL
SELECT f.* FROM monitoring.order_fulfilment f
WHERE f.closed_at >= :as_of AND f.due_at < :as_of AND f.ordered_at >= :since
