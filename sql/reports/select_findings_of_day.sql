-- The findings a province's report for :day lists: events first seen on the day, and state
-- episodes still observed on the day (new or ongoing). A finding whose current verdict is
-- false_positive is left out, and so are the later episodes of the same rule on the same entity
-- (its repeats): the officer said once that this is not a problem. The source's health (check `ingest`: a
-- silent source, a seller whose records arrive late) is for the engineers and Fardap, not the officer.
SELECT f.finding_id, f.rule, f.check_name, f.kind, f.entity_type, f.entity_id, f.episode_start_day,
       f.last_observed_day, f.resolved_day, f.seller_id, f.offer_id, f.unit_id, f.province_id,
       f.severity, f.impact_rial, f.evidence, f.routing
FROM monitoring.finding f
WHERE f.check_name <> 'ingest'
  AND ((f.kind = 'event' AND f.episode_start_day = :day)
    OR (f.kind = 'state' AND f.episode_start_day <= :day AND f.last_observed_day = :day))
  AND NOT EXISTS (
        SELECT 1 FROM monitoring.finding_label l
        WHERE l.rule = f.rule AND l.entity_id = f.entity_id AND l.verdict = 'false_positive'
          AND l.episode_start_day <= f.episode_start_day
  )
