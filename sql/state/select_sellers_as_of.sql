-- Sellers as they stood at :as_of.
SELECT seller_id, unit_id, display_name, joined_at, updated_at
FROM (
    SELECT s.*,
           ROW_NUMBER() OVER (PARTITION BY s.seller_id ORDER BY s.updated_at DESC) AS version_rank
    FROM monitoring.stg_sellers s
    WHERE s.updated_at < :as_of
) latest
WHERE version_rank = 1
