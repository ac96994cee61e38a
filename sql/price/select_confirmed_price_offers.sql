-- Offers whose price findings officers confirmed as real (acknowledged or actioned, not false positives).
SELECT DISTINCT f.offer_id
FROM monitoring.finding f
JOIN monitoring.finding_verdict v ON v.finding_id = f.finding_id
WHERE f.check_name = 'price' AND f.offer_id IS NOT NULL AND v.verdict IN ('acknowledged', 'actioned')
