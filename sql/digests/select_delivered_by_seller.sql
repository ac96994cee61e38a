-- Deliveries completed in [:window_start, :window_end) as they stood at :window_end, counted per seller
-- (the seller of the delivery's offer). The denominators of the late and defect rates.
SELECT f.seller_id, COUNT(*) AS delivered
FROM (
    SELECT d.delivery_id, d.order_id, d.status, d.delivered_at,
           ROW_NUMBER() OVER (PARTITION BY d.delivery_id ORDER BY d.updated_at DESC) AS version_rank
    FROM monitoring.stg_deliveries d
    WHERE d.updated_at < :window_end
      AND d.delivery_id IN (
            SELECT x.delivery_id FROM monitoring.stg_deliveries x
            WHERE x.delivered_at >= :window_start AND x.delivered_at < :window_end
      )
) d
JOIN (SELECT DISTINCT o.order_id, o.offer_id FROM monitoring.stg_orders o) o ON o.order_id = d.order_id
JOIN (SELECT DISTINCT s.offer_id, s.seller_id FROM monitoring.stg_offers s) f ON f.offer_id = o.offer_id
WHERE d.version_rank = 1
  AND d.status IN ('delivered', 'returned')
  AND d.delivered_at >= :window_start AND d.delivered_at < :window_end
GROUP BY f.seller_id
