-- Stored event observations of the entities in scratch_ids (to keep an event judged once, by the run that saw
-- it); through the primary key, rule first.
SELECT o.rule, o.entity_id, o.day, o.judged_on
FROM monitoring.finding_observation o
JOIN scratch_ids s ON s.id = o.entity_id
WHERE o.rule IN ('late_delivery', 'seller_cancellation', 'quality_defect')
