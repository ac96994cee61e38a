-- One seller's stored scorecards of one window, day by day.
SELECT s.day, s.window_days, s.unit_kind, s.deliveries_resolved, s.distinct_buyers, s.orders_completed,
       s.on_time_rate, s.quality_defect_rate, s.seller_cancel_rate, s.volume_ok, s.breaches
FROM monitoring.seller_scorecard s
WHERE s.seller_id = :seller_id AND s.window_days = :window_days
ORDER BY s.day
