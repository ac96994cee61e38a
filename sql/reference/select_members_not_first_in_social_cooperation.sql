-- Members whose first membership (of any kanoon or system) by :day was not a social cooperation kanoon,
-- or who never joined one. Joining on the same day counts as joining first.
WITH ms AS (
    SELECT m.member_id, m.valid_from, k.kind AS kanoon_kind
    FROM ref.membership m
    LEFT JOIN ref.kanoon k ON k.kanoon_id = m.kanoon_id
    WHERE m.valid_from <= :day
),
first_social AS (
    SELECT member_id, MIN(valid_from) AS joined
    FROM ms WHERE kanoon_kind = 'social_cooperation' GROUP BY member_id
),
first_other AS (
    SELECT member_id, MIN(valid_from) AS joined
    FROM ms WHERE kanoon_kind IS NULL OR kanoon_kind <> 'social_cooperation' GROUP BY member_id
)
SELECT 'member' AS entity_type, o.member_id AS entity_id, mb.province_id,
       o.joined AS first_other_day, s.joined AS first_social_cooperation_day
FROM first_other o
JOIN ref.member mb ON mb.member_id = o.member_id
LEFT JOIN first_social s ON s.member_id = o.member_id
WHERE s.joined IS NULL OR s.joined > o.joined
ORDER BY o.member_id
