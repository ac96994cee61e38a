-- The findings each checked day's report lists (events first seen that day; state episodes still observed
-- that day), one row per finding and day, with its status that day. The same rule as
-- sql/reports/select_findings_of_day.sql: findings suppressed by a false_positive verdict are left out.
CREATE VIEW monitoring.mart_finding_day AS
SELECT d.day, f.finding_id, f.province_id, f.unit_id, f.seller_id, f.rule, f.check_name, f.severity,
       f.impact_rial, f.verdict,
       CASE WHEN f.episode_start_day = d.day THEN 'new' ELSE 'ongoing' END AS status
FROM (SELECT DISTINCT r.day FROM monitoring.run_log r WHERE r.step = 'check' AND r.status = 'success') d
JOIN monitoring.mart_finding f
  ON (f.kind = 'event' AND f.episode_start_day = d.day)
  OR (f.kind = 'state' AND f.episode_start_day <= d.day AND f.last_observed_day = d.day)
WHERE f.suppressed = 0
