-- One row per seller and Tehran day it did business: the day's activity (monitoring.seller_activity_daily)
-- with the seller's unit and province as the organisation stood on that day.
CREATE VIEW monitoring.mart_seller_day AS
SELECT a.day, a.seller_id, s.display_name, s.unit_id, u.kind AS unit_kind, u.province_id,
       a.deliveries_resolved, a.deliveries_delivered, a.orders_completed, a.orders_late,
       a.quality_defects, a.seller_cancellations, a.late_value_rial, a.defect_value_rial, a.cancel_value_rial
FROM monitoring.seller_activity_daily a
LEFT JOIN monitoring.mart_seller s ON s.seller_id = a.seller_id
LEFT JOIN ref.unit u ON u.unit_id = s.unit_id
                    AND u.valid_from <= a.day AND (u.valid_to IS NULL OR u.valid_to > a.day)
