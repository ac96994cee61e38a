-- The stored cohorts of the sellers in scratch_ids over [:first_day, :last_day] (to add a day's deltas to).
SELECT a.seller_id, a.day, a.deliveries_resolved, a.deliveries_delivered, a.orders_completed, a.orders_late,
       a.quality_defects, a.seller_cancellations, a.late_value_rial, a.defect_value_rial, a.cancel_value_rial,
       a.orders_recorded, a.orders_recorded_late
FROM monitoring.seller_activity_daily a
JOIN scratch_ids s ON s.id = a.seller_id
WHERE a.day >= :first_day AND a.day <= :last_day
