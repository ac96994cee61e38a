-- Findings withdrawn on :day per province (records that arrived later took them back).
SELECT w.province_id, COUNT(*) AS withdrawn
FROM monitoring.finding_withdrawn w
WHERE w.withdrawn_day = :day
GROUP BY w.province_id
