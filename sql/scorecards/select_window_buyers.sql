-- Each seller's distinct buyers over the window's cohorts [:first_day, :last_day] (capped per cohort day).
SELECT b.seller_id, COUNT(DISTINCT b.buyer_member_id) AS distinct_buyers
FROM monitoring.seller_buyer_daily b
WHERE b.day >= :first_day AND b.day <= :last_day
GROUP BY b.seller_id
