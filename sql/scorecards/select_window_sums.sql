-- Each seller's cohorts summed over the window [:first_day, :last_day], in the database.
SELECT a.seller_id,
       SUM(a.deliveries_resolved) AS deliveries_resolved, SUM(a.deliveries_delivered) AS deliveries_delivered,
       SUM(a.orders_completed) AS orders_completed, SUM(a.orders_late) AS orders_late,
       SUM(a.quality_defects) AS quality_defects, SUM(a.seller_cancellations) AS seller_cancellations,
       SUM(a.late_value_rial) AS late_value_rial, SUM(a.defect_value_rial) AS defect_value_rial,
       SUM(a.cancel_value_rial) AS cancel_value_rial, SUM(a.orders_recorded) AS orders_recorded,
       SUM(a.orders_recorded_late) AS orders_recorded_late
FROM monitoring.seller_activity_daily a
WHERE a.day >= :first_day AND a.day <= :last_day
GROUP BY a.seller_id
