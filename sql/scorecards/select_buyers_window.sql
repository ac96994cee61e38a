-- Sellers' buyers per day over [:first_day, :last_day] (capped per seller and day), for distinct counts.
SELECT b.seller_id, b.day, b.buyer_member_id
FROM monitoring.seller_buyer_daily b
WHERE b.day >= :first_day AND b.day <= :last_day
