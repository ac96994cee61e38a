-- Deliveries completed in [:window_start, :window_end) as they stood at :window_end, counted per seller
-- (the seller of the delivery's offer). The denominators of the late and defect rates. Through the
-- delivered_at index and the version intervals: the window's deliveries, not the history.
SELECT f.seller_id, COUNT(*) AS delivered
FROM monitoring.stg_deliveries d
JOIN monitoring.stg_orders o ON o.order_id = d.order_id AND o.valid_to IS NULL
JOIN monitoring.stg_offers f ON f.offer_id = o.offer_id AND f.valid_to IS NULL
WHERE d.delivered_at >= :window_start AND d.delivered_at < :window_end
  AND d.updated_at < :window_end AND (d.valid_to IS NULL OR d.valid_to >= :window_end)
  AND d.status IN ('delivered', 'returned')
GROUP BY f.seller_id
