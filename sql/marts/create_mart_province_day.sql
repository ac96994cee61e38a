-- One row per province and checked Tehran day: the figures of the national view.
--   on_time_rate       = 1 - orders completed late / orders completed that day (null: none completed)
--   quality_defect_rate = quality defects that surfaced that day / deliveries delivered that day
--   price_anomalies    = price observations that day (every rule of the price check)
--   open_findings, critical_findings, new_findings = what the province's report of the day lists
CREATE VIEW monitoring.mart_province_day AS
WITH days AS (
    SELECT DISTINCT r.day FROM monitoring.run_log r WHERE r.step = 'check' AND r.status = 'success'
),
activity AS (
    SELECT a.province_id, a.day, SUM(a.deliveries_delivered) AS deliveries_delivered,
           SUM(a.orders_completed) AS orders_completed, SUM(a.orders_late) AS orders_late,
           SUM(a.quality_defects) AS quality_defects, SUM(a.seller_cancellations) AS seller_cancellations,
           SUM(a.late_value_rial) AS late_value_rial, SUM(a.defect_value_rial) AS defect_value_rial
    FROM monitoring.mart_seller_day a
    GROUP BY a.province_id, a.day
),
prices AS (
    SELECT o.province_id, o.day, COUNT(*) AS price_anomalies
    FROM monitoring.finding_observation o
    WHERE o.rule LIKE 'price%'
    GROUP BY o.province_id, o.day
),
listed AS (
    SELECT fd.province_id, fd.day, COUNT(*) AS open_findings,
           SUM(CASE WHEN fd.severity = 'critical' THEN 1 ELSE 0 END) AS critical_findings,
           SUM(CASE WHEN fd.status = 'new' THEN 1 ELSE 0 END) AS new_findings
    FROM monitoring.mart_finding_day fd
    GROUP BY fd.province_id, fd.day
)
SELECT p.province_id, p.name_fa AS province_name_fa, d.day,
       COALESCE(a.deliveries_delivered, 0) AS deliveries_delivered,
       COALESCE(a.orders_completed, 0) AS orders_completed,
       COALESCE(a.orders_late, 0) AS orders_late,
       CASE WHEN a.orders_completed > 0
            THEN 1.0 - CAST(a.orders_late AS DOUBLE PRECISION) / a.orders_completed END AS on_time_rate,
       COALESCE(a.quality_defects, 0) AS quality_defects,
       CASE WHEN a.deliveries_delivered > 0
            THEN CAST(a.quality_defects AS DOUBLE PRECISION) / a.deliveries_delivered END AS quality_defect_rate,
       COALESCE(a.seller_cancellations, 0) AS seller_cancellations,
       COALESCE(pr.price_anomalies, 0) AS price_anomalies,
       COALESCE(l.open_findings, 0) AS open_findings,
       COALESCE(l.critical_findings, 0) AS critical_findings,
       COALESCE(l.new_findings, 0) AS new_findings,
       COALESCE(a.late_value_rial, 0) AS late_value_rial,
       COALESCE(a.defect_value_rial, 0) AS defect_value_rial
FROM ref.province p
CROSS JOIN days d
LEFT JOIN activity a ON a.province_id = p.province_id AND a.day = d.day
LEFT JOIN prices pr ON pr.province_id = p.province_id AND pr.day = d.day
LEFT JOIN listed l ON l.province_id = p.province_id AND l.day = d.day
