-- Whether Tehran day :day has been monitored: its findings step finished (after its checks) in some run.
-- Report mail refuses a day without one, rather than telling 31 officers "no findings" about an unchecked day.
SELECT COUNT(*) AS runs
FROM monitoring.run_log r
WHERE r.day = :day AND r.step = 'findings' AND r.status = 'success'
