-- Days on which the checks have run to completion.
SELECT DISTINCT r.day FROM monitoring.run_log r WHERE r.step = 'check' AND r.status = 'success'
