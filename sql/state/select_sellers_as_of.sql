-- Sellers as they stood at :as_of: the latest staged version before it, or, for a seller who joined
-- before :as_of but was first staged later (a backfill), the earliest staged version.
SELECT seller_id, unit_id, display_name, joined_at, updated_at
FROM (
    SELECT s.*,
           ROW_NUMBER() OVER (
               PARTITION BY s.seller_id
               ORDER BY CASE WHEN s.updated_at < :as_of THEN 0 ELSE 1 END,
                        CASE WHEN s.updated_at < :as_of THEN s.updated_at END DESC,
                        s.updated_at ASC
           ) AS version_rank
    FROM monitoring.stg_sellers s
    WHERE s.updated_at < :as_of OR s.joined_at < :as_of
) latest
WHERE version_rank = 1
