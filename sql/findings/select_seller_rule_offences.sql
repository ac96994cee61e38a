-- The distinct (seller, rule, entity) observed over [:first_day, :last_day]: a seller's recent offences.
SELECT DISTINCT o.seller_id, o.rule, o.entity_id
FROM monitoring.finding_observation o
WHERE o.day >= :first_day AND o.day <= :last_day AND o.seller_id IS NOT NULL
