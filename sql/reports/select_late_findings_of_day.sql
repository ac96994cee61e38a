-- The events of earlier days that a province's report for :day shows apart: first seen on :day because the
-- source recorded them late. Findings an officer called false positive are left out, as in the main list.
SELECT f.finding_id, f.rule, f.check_name, f.kind, f.entity_type, f.entity_id, f.episode_start_day,
       f.last_observed_day, f.resolved_day, f.seller_id, f.offer_id, f.unit_id, f.province_id,
       f.severity, f.impact_rial, f.evidence, f.routing, f.discovered_day
FROM monitoring.finding f
WHERE f.kind = 'event' AND f.discovered_day = :day AND f.episode_start_day < :day
  AND NOT EXISTS (
        SELECT 1 FROM monitoring.finding_label l
        WHERE l.rule = f.rule AND l.entity_id = f.entity_id AND l.verdict = 'false_positive'
          AND l.episode_start_day <= f.episode_start_day
  )
