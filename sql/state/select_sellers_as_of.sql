-- Sellers as they stood at :as_of: the version whose interval holds :as_of; or, for a seller who joined before
-- :as_of but was first staged later (a backfill), the earliest staged version.
SELECT s.seller_id, s.unit_id, s.display_name, s.joined_at, s.updated_at
FROM monitoring.stg_sellers s
WHERE s.updated_at < :as_of AND (s.valid_to IS NULL OR s.valid_to >= :as_of)
UNION ALL
SELECT s.seller_id, s.unit_id, s.display_name, s.joined_at, s.updated_at
FROM monitoring.stg_sellers s
WHERE s.updated_at >= :as_of AND s.joined_at < :as_of
  AND NOT EXISTS (SELECT 1 FROM monitoring.stg_sellers e WHERE e.seller_id = s.seller_id AND e.updated_at < s.updated_at)
