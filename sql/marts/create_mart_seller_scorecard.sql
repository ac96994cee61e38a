-- Seller scorecards per day and window (7/30/90 days) with the seller's shop name, unit and province as the
-- organisation stood on that day: the seller trends of the drill-down.
CREATE VIEW monitoring.mart_seller_scorecard AS
SELECT sc.day, sc.window_days, sc.seller_id, s.display_name, s.unit_id, u.province_id, sc.unit_kind,
       sc.deliveries_resolved, sc.distinct_buyers, sc.orders_completed, sc.on_time_rate,
       sc.quality_defect_rate, sc.seller_cancel_rate, sc.volume_ok, sc.breaches
FROM monitoring.seller_scorecard sc
LEFT JOIN monitoring.mart_seller s ON s.seller_id = sc.seller_id
LEFT JOIN ref.unit u ON u.unit_id = s.unit_id
                    AND u.valid_from <= sc.day AND (u.valid_to IS NULL OR u.valid_to > sc.day)
