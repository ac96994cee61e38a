-- Observations per province, day and rule over [:first_day, :day], for "today against last week".
SELECT o.province_id, o.day, o.rule, COUNT(*) AS observed
FROM monitoring.finding_observation o
WHERE o.day >= :first_day AND o.day <= :day
GROUP BY o.province_id, o.day, o.rule
