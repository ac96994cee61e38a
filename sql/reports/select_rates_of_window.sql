-- On-time, defect and seller-cancel rates over the cohorts of orders that fell due in [:first_day, :day]
-- (monitoring.seller_activity_daily, by its seller's province on each cohort day): one row per seller
-- (level 'seller'), per province ('province') and for the country ('national'). Every numerator is a subset
-- of its denominator (docs/state.md); a rate is null when its denominator is zero.
--   on time:       orders judged for timeliness, and those on time (judged minus late)
--   defect:        orders delivered, and those with a quality defect
--   seller cancel: orders but those the buyer cancelled, and those with a shipment the seller cancelled
WITH cohorts AS (
    SELECT a.seller_id, a.province_id, a.orders_completed, a.orders_late, a.deliveries_delivered,
           a.quality_defects, a.deliveries_resolved, a.seller_cancellations
    FROM monitoring.mart_seller_day a
    WHERE a.day >= :first_day AND a.day <= :day
),
sums AS (
    SELECT 'seller' AS level, c.province_id, c.seller_id,
           SUM(c.orders_completed) AS orders_judged, SUM(c.orders_late) AS orders_late,
           SUM(c.deliveries_delivered) AS orders_delivered, SUM(c.quality_defects) AS orders_defective,
           SUM(c.deliveries_resolved) AS orders_resolved, SUM(c.seller_cancellations) AS orders_seller_cancelled
    FROM cohorts c
    GROUP BY c.province_id, c.seller_id
    UNION ALL
    SELECT 'province' AS level, c.province_id, NULL AS seller_id,
           SUM(c.orders_completed), SUM(c.orders_late), SUM(c.deliveries_delivered), SUM(c.quality_defects),
           SUM(c.deliveries_resolved), SUM(c.seller_cancellations)
    FROM cohorts c
    WHERE c.province_id IS NOT NULL
    GROUP BY c.province_id
    UNION ALL
    SELECT 'national' AS level, NULL AS province_id, NULL AS seller_id,
           COALESCE(SUM(c.orders_completed), 0), COALESCE(SUM(c.orders_late), 0),
           COALESCE(SUM(c.deliveries_delivered), 0), COALESCE(SUM(c.quality_defects), 0),
           COALESCE(SUM(c.deliveries_resolved), 0), COALESCE(SUM(c.seller_cancellations), 0)
    FROM cohorts c
)
SELECT s.level, s.province_id, s.seller_id,
       s.orders_judged, s.orders_judged - s.orders_late AS orders_on_time,
       CASE WHEN s.orders_judged > 0
            THEN CAST(s.orders_judged - s.orders_late AS DOUBLE PRECISION) / s.orders_judged END AS on_time_rate,
       s.orders_delivered, s.orders_defective,
       CASE WHEN s.orders_delivered > 0
            THEN CAST(s.orders_defective AS DOUBLE PRECISION) / s.orders_delivered END AS defect_rate,
       s.orders_resolved, s.orders_seller_cancelled,
       CASE WHEN s.orders_resolved > 0
            THEN CAST(s.orders_seller_cancelled AS DOUBLE PRECISION) / s.orders_resolved END AS seller_cancel_rate
FROM sums s
