-- Every taxon code with its Persian name (sectors, domains, ..., sub-branches).
SELECT x.code, x.level, x.parent_code, x.name_fa FROM ref.taxon x
