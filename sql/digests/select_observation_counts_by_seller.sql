-- Observations per seller, day and rule over [:first_day, :day]: a rahyari's or a sector's own figures.
SELECT o.seller_id, o.province_id, o.day, o.rule, COUNT(*) AS observed, SUM(o.impact_rial) AS impact_rial
FROM monitoring.finding_observation o
WHERE o.day >= :first_day AND o.day <= :day
GROUP BY o.seller_id, o.province_id, o.day, o.rule
