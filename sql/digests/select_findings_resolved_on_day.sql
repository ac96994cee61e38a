-- State episodes that cleared on :day, with the routing they were sent with (for a rahyari's resolved count).
SELECT f.finding_id, f.province_id, f.seller_id, f.routing
FROM monitoring.finding f
WHERE f.kind = 'state' AND f.resolved_day = :day
