-- The distinct (seller, rule, entity) observed over [:first_day, :last_day], each with the last day it was
-- observed: a seller's recent offences.
SELECT o.seller_id, o.rule, o.entity_id, MAX(o.day) AS day
FROM monitoring.finding_observation o
WHERE o.day >= :first_day AND o.day <= :last_day AND o.seller_id IS NOT NULL
GROUP BY o.seller_id, o.rule, o.entity_id
