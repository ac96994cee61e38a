-- Violation episodes that day :day may continue or resolve.
SELECT v.violation_id, v.rule, v.entity_id, v.episode_start_day, v.last_observed_day, v.resolved_day
FROM monitoring.reference_violation v
WHERE v.episode_start_day <= :day AND (v.resolved_day IS NULL OR v.resolved_day >= :day)
