-- The (rule, entity) pairs whose episodes a run for :day may change: observed on the day or the day before,
-- judged by the run of the day (events recorded late belong to earlier days), in a stored episode that covers
-- the day, or an overdue episode of an order the day's extraction changed (a late record can shorten it).
SELECT o.rule, o.entity_id FROM monitoring.finding_observation o
WHERE o.day >= :first_day AND o.day <= :day
UNION
SELECT o.rule, o.entity_id FROM monitoring.finding_observation o
WHERE o.judged_on = :day
UNION
SELECT f.rule, f.entity_id FROM monitoring.finding f
WHERE f.episode_start_day <= :day AND f.last_observed_day >= :first_day
UNION
SELECT f.rule, f.entity_id FROM monitoring.finding f
WHERE f.rule = 'overdue_order'
  AND f.entity_id IN (
        SELECT o.order_id FROM monitoring.stg_orders o WHERE o.staged_day = :day
        UNION
        SELECT d.order_id FROM monitoring.stg_deliveries d WHERE d.staged_day = :day
  )
UNION
SELECT k.rule, k.entity_id FROM monitoring.finding_refresh_key k
WHERE k.day = :day
