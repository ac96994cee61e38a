-- The orders a day's extraction changed: a version of the order, or of one of its deliveries, staged by the
-- extraction of :day (read through the staging-day index: the day's volume, not the history).
SELECT o.order_id FROM monitoring.stg_orders o WHERE o.staged_day = :day
UNION
SELECT d.order_id FROM monitoring.stg_deliveries d WHERE d.staged_day = :day
