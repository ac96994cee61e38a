-- State episodes that cleared on :day, per province.
SELECT f.province_id, COUNT(*) AS resolved
FROM monitoring.finding f
WHERE f.kind = 'state' AND f.resolved_day = :day
GROUP BY f.province_id
