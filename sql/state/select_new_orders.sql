-- Orders placed in [:window_start, :window_end) as staged now (the day's demand, for the price rules' impact).
SELECT o.order_id, o.offer_id, o.quantity, o.ordered_at
FROM monitoring.stg_orders o
WHERE o.staged_day >= :first_day AND o.ordered_at >= :window_start AND o.ordered_at < :window_end
  AND o.valid_to IS NULL
