-- Every finding (an episode of one rule on one entity) with its province's and seller's names and its current officer
-- verdict (null: none). suppressed = 1 when a false_positive verdict on this episode, or on an earlier
-- episode of the same rule on the same entity, keeps it out of the reports.
CREATE VIEW monitoring.mart_finding AS
SELECT f.finding_id, f.rule, f.check_name, f.kind, f.entity_type, f.entity_id, f.episode_start_day,
       f.last_observed_day, f.resolved_day, f.seller_id, f.offer_id, f.unit_id, f.province_id,
       p.name_fa AS province_name_fa, s.display_name AS seller_name, f.severity, f.impact_rial, f.evidence, f.routing,
       l.verdict, l.note AS verdict_note, l.given_by AS verdict_by, l.given_at AS verdict_at,
       CASE WHEN EXISTS (
           SELECT 1 FROM monitoring.finding_label fp
           WHERE fp.rule = f.rule AND fp.entity_id = f.entity_id AND fp.verdict = 'false_positive'
             AND fp.episode_start_day <= f.episode_start_day
       ) THEN 1 ELSE 0 END AS suppressed
FROM monitoring.finding f
LEFT JOIN monitoring.finding_label l ON l.finding_id = f.finding_id
LEFT JOIN ref.province p ON p.province_id = f.province_id
LEFT JOIN monitoring.mart_seller s ON s.seller_id = f.seller_id
