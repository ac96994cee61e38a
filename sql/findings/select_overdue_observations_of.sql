-- Stored overdue observations of the orders in scratch_ids over [:first_day, :last_day].
SELECT o.entity_id, o.day
FROM monitoring.finding_observation o
JOIN scratch_ids s ON s.id = o.entity_id
WHERE o.rule = 'overdue_order' AND o.day >= :first_day AND o.day <= :last_day
