-- The (rule, entity) pairs whose episodes a run for :day may change: observed on the day or the day before,
-- or in a stored episode that covers the day.
SELECT o.rule, o.entity_id FROM monitoring.finding_observation o
WHERE o.day >= :first_day AND o.day <= :day
UNION
SELECT f.rule, f.entity_id FROM monitoring.finding f
WHERE f.episode_start_day <= :day AND f.last_observed_day >= :first_day
