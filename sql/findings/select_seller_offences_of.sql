-- The distinct (seller, rule, entity) of the sellers in scratch_ids observed over [:first_day, :last_day] under
-- one rule, each with the last day it was observed.
SELECT o.seller_id, o.rule, o.entity_id, MAX(o.day) AS day
FROM monitoring.finding_observation o
JOIN scratch_ids s ON s.id = o.seller_id
WHERE o.rule = :rule AND o.day >= :first_day AND o.day <= :last_day
GROUP BY o.seller_id, o.rule, o.entity_id
