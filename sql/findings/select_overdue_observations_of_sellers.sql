-- The overdue observations of the sellers in scratch_ids on :day (to grade them again after a late record
-- took some back).
SELECT o.rule, o.entity_id, o.day, o.entity_type, o.seller_id, o.offer_id, o.province_id, o.severity,
       o.impact_rial, o.evidence, o.judged_on
FROM monitoring.finding_observation o
JOIN scratch_ids s ON s.id = o.seller_id
WHERE o.rule = 'overdue_order' AND o.day = :day
