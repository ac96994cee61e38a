-- Each finding's current officer verdict (the latest), with what the finding is about.
SELECT l.finding_id, l.rule, l.check_name, l.entity_type, l.entity_id, l.seller_id, l.offer_id, l.province_id,
       l.episode_start_day, l.verdict, l.note, l.given_by, l.given_at
FROM monitoring.finding_label l
