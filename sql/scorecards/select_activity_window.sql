-- Sellers' daily aggregates over [:first_day, :last_day], to be summed over rolling windows.
SELECT a.seller_id, a.day, a.deliveries_resolved, a.deliveries_delivered, a.orders_completed, a.orders_late,
       a.quality_defects, a.seller_cancellations, a.late_value_rial, a.defect_value_rial, a.cancel_value_rial
FROM monitoring.seller_activity_daily a
WHERE a.day >= :first_day AND a.day <= :last_day
